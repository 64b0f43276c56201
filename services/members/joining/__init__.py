"""Joining a community: its join policy, an invite code, a seat in a tier, coming back."""
