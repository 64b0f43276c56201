"""Engagement: the local projection of `activity.recorded` the tier policy ranks members by."""
