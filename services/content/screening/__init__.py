"""Screening: the automated check on submit (banned words, foreign links) and its settings."""
