"""Idempotency-Key on POST: the first answer kept and replayed."""
