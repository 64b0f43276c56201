"""Erasure: anonymising an erased member in scoring's data."""
