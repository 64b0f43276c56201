"""Scoring rules: what an activity is worth, and where a leaderboard period starts.

Per-community rules (weights, cooldowns, daily caps, half-life) arrive in a later slice; until
then every community scores with the defaults below.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from services.scoring.domain.models import ActivityType, Period

DEFAULT_WEIGHTS: Mapping[str, float] = {
    ActivityType.MESSAGE: 1.0,
    ActivityType.REPLY: 2.0,
    ActivityType.REACTION: 0.5,
    ActivityType.SHARE: 3.0,
    ActivityType.CONTENT_VIEW: 0.2,
    ActivityType.CHECKIN: 5.0,
    ActivityType.INVITE_ACCEPTED: 10.0,
}

# Clocks of partners' machines drift; beyond this an occurred_at in the future is a bug.
MAX_FUTURE_SKEW = timedelta(minutes=5)

MILLI = 1000


def points_milli(activity_type: str, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> int:
    """The activity's worth in thousandths of a point.

    A type without a weight is worth nothing rather than refused: an event of a type newer than
    these rules must still reach the ledger instead of the dead-letter topic.
    """
    return round(weights.get(activity_type, 0.0) * MILLI)


def from_milli(value: int) -> float:
    return value / MILLI


def period_start(period: Period, now: datetime) -> datetime | None:
    """The start of the current period in UTC (None for all time).

    The community's own timezone decides where its day starts; that arrives with the
    per-community rules, until then days, ISO weeks and months are UTC ones.
    """
    if period == Period.ALL:
        return None
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == Period.DAY:
        return day
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)
