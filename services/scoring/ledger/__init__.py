"""The activity ledger: how the scoring consumer applies a batch (posting activities, folding them
into every measure)."""
