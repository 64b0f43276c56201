"""Attendance: check-in at an event with its check-in code."""
