"""A member's profile: their display name and tags, and the stewards' `locked` and `on_leave`."""
