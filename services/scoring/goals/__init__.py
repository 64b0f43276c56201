"""Goals: targets for a community's figures per month, quarter or year, with progress and a
linear forecast."""
