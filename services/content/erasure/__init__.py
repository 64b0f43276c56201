"""Erasure: after user.erased, tombstones stand on a community's content where the person was."""
