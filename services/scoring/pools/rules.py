"""The kinds of pools kept from other services' events, and who finished a challenge."""

from enum import StrEnum


class PoolKind(StrEnum):
    VOTER = "voter"  # source: a poll (content id)
    FINISHER = "finisher"  # source: a 打卡 challenge
    REGISTRANT = "registrant"  # source: an event; a cancelled registration leaves
    ATTENDEE = "attendee"  # source: an event


def finished(streak: int, days: int | None) -> bool:
    """A challenge is finished by the check-in whose streak reaches its length (a check-in
    announced without the length finishes nothing: it cannot be told)."""
    return days is not None and days > 0 and streak >= days
