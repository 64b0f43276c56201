"""Polls: a member's one vote in a published poll, and the live results."""
