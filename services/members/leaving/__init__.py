"""Leaving a community, or being removed from it by a steward."""
