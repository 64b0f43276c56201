"""Memberships: who belongs to which community, read by stewards, members and the user."""
