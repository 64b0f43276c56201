"""The points mall's rules: when a reward can be redeemed and what a redemption code is.

Pure functions and constants; no SQL, no FastAPI.
"""

import secrets
from datetime import datetime

ACTIVE, WITHDRAWN = "active", "withdrawn"
REDEEMED, CANCELLED = "redeemed", "cancelled"

# Crockford's base 32 without I, L, O, U: a code is read aloud or typed from a screen.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits: a guessed code matches one of a million others once in 10^12 tries


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def closed_window_field(
    starts_at: datetime | None, ends_at: datetime | None, now: datetime
) -> str | None:
    """Which end of the availability window `now` is outside of (`starts_at` before it opens,
    `ends_at` once it closed; `ends_at` is exclusive), or None inside it."""
    if starts_at is not None and now < starts_at:
        return "starts_at"
    if ends_at is not None and now >= ends_at:
        return "ends_at"
    return None
