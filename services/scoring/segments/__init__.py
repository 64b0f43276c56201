"""Segments (core, active, casual, silent, slipping, dormant, churned) and their sweep."""
