"""Opaque, time-ordered ids (`cmty_01JD…`): sorting by id sorts by creation, which keeps cursor
pagination to a single indexed column, and the prefix tells a reader what an id names."""

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str) -> str:
    """A ULID (48-bit millisecond time, 80 random bits) in Crockford base32, after `prefix_`."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return f"{prefix}_{''.join(reversed(chars))}"
