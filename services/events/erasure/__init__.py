"""Personal-data erasure on `user.erased`: the person goes, the figures stay."""
