"""Replay: rebuild every score from the ledger (python -m services.scoring.replay [--check])."""
