"""Sanctions (处罚措施): warn, mute, remove, and the community's ladder that escalates warnings."""
