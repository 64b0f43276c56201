"""Lists operators ask for: the members of a segment ("who is slipping this week?") and KOLs."""
