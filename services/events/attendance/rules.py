"""Check-in codes and the check-in window."""

import secrets
from datetime import timedelta

CHECKIN_CODE_DIGITS = 6
# Check-in opens this long before the start and closes at the end.
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)


def new_checkin_code() -> str:
    """A code attendees type to check in; from `secrets` so that it cannot be predicted."""
    return f"{secrets.randbelow(10**CHECKIN_CODE_DIGITS):0{CHECKIN_CODE_DIGITS}d}"
