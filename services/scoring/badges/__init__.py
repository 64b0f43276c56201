"""Badges: what earns each, and the badges a member holds."""
