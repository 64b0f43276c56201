"""A member's engagement: the decaying score, its breakdown, rank by engagement and KOL flag."""
