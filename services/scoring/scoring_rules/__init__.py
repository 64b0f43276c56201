"""Scoring rules per community: weights, cooldowns, daily caps and the half-life."""
