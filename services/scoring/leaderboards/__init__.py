"""Leaderboards: boards per period and tier, ranks, and the score buckets that keep ranks cheap."""
