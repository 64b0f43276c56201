"""Win-back nudges: campaigns that message a segment, tier or tag, measured against a holdout."""
