"""Permissions: who may do what in a community, and admitting the caller into one."""
