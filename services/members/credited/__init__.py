"""Credited points: what scoring credited each member per local day (`engagement.credited`),
the one measure the tier policy ranks by."""
