"""Approval: letting a pending member in, or turning them away."""
