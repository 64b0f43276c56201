"""Roles and ownership: giving a member a role, and transferring ownership."""
