"""Engagement: views, reactions, replies and shares on an item, counted from activity events."""
