"""Versioned community rules (群规) that members acknowledge: owners and admins publish a new
version, members acknowledge the current one, moderators list who has not yet."""
