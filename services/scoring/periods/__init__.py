"""Period close: the clockwork closing each day, week and month of the leaderboards."""
