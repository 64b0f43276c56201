"""Feedback: ratings and comments from the members who checked in."""
