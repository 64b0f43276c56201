"""The tier every community starts with."""

DEFAULT_TIER_NAME = "一群"
DEFAULT_CAPACITY = 500
