"""Community metrics and health: their shapes and the lifecycle stage (docs/scoring.md)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from services.common.events.catalogue import MemberLeft, MemberRemoved
from services.common.events.catalogue.vocabulary import ActivityType, ExitReason


class Stage(StrEnum):
    GROWING = "growing"
    MATURE = "mature"
    DECLINING = "declining"


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


MAX_SPAN_DAYS = 366


# Dates a community's metrics can have (and whose neighbours any timezone can represent).
EARLIEST_DAY = date(1970, 1, 1)


LATEST_DAY = date(9000, 12, 31)


RETENTION_WEEKS = 4


ALERT_DROP = 0.30


GROWING = 0.10


DECLINING = -0.20


INTERACTIONS = (ActivityType.REPLY, ActivityType.REACTION, ActivityType.SHARE)


POSTS = (ActivityType.MESSAGE, ActivityType.CONTENT_PUBLISHED, ActivityType.UGC_APPROVED)


CONTENT_RESPONSES = (ActivityType.CONTENT_VIEW, ActivityType.SHARE, ActivityType.POLL_VOTE)


# Departures by why: the exit reasons members give when leaving, `unspecified` for a member who
# left without saying (or whose event predates reasons), `removed` for a steward's removal.
UNSPECIFIED = "unspecified"
REMOVED = "removed"
DEPARTURE_REASONS: tuple[str, ...] = (
    *(reason.value for reason in ExitReason),
    UNSPECIFIED,
    REMOVED,
)


def departure_reason(event: MemberLeft | MemberRemoved) -> str | None:
    """What a departure event says of why: `removed` for a removal, the member's exit reason
    when it is one we know, else None (counted as `unspecified`)."""
    if isinstance(event, MemberRemoved):
        return REMOVED
    known = {reason.value for reason in ExitReason}
    return event.reason if event.reason in known else None


def departures_by_reason(counts: Mapping[str | None, int]) -> dict[str, int]:
    """Every departure reason with its count (0 where none), None counted as `unspecified`:
    the same keys in every bucket, so a chart's series never go missing."""
    found = dict.fromkeys(DEPARTURE_REASONS, 0)
    for reason, count in counts.items():
        key = reason if reason in found else UNSPECIFIED
        found[key] += count
    return found


@dataclass(frozen=True)
class Bucket:
    starts_on: date
    ends_on: date
    members: int
    new: int
    left: int
    growth_rate: float | None
    dau: int
    wau: int
    mau: int
    active_rate: float | None
    interaction_rate: float | None
    content_engagement: float | None
    event_participation: float | None
    churn_rate: float | None
    # Departures in the bucket by reason, and each reason's share of the members at its start
    # (they add up to `left` and `churn_rate`).
    left_by_reason: dict[str, int] = field(default_factory=dict)
    churn_rate_by_reason: dict[str, float | None] = field(default_factory=dict)
    # Raw counts beside the ratios (docs/scoring.md): activities of these types in the bucket,
    # and content items published (official ones too).
    messages: int = 0
    replies: int = 0
    reactions: int = 0
    content_items: int = 0
    checkins: int = 0
    challenge_checkins: int = 0
    active: int = 0


@dataclass(frozen=True)
class Cohort:
    cohort_starts_on: date
    size: int
    weeks: list[float | None]


@dataclass(frozen=True)
class Metrics:
    granularity: Granularity
    timezone: str
    items: list[Bucket]
    retention: list[Cohort]
    # services.scoring.onboarding.service.OnboardingMetrics of the members who joined in the
    # window; None while the community has no checklist.
    onboarding: Any = None


def bucket_starts(granularity: Granularity, first: date, last: date) -> list[tuple[date, date]]:
    """The buckets [start, end) covering local days first..last: days, ISO weeks (from the
    Monday on or before `first`) or calendar months (from the 1st of `first`'s month)."""
    if granularity == Granularity.DAY:
        start = first
    elif granularity == Granularity.WEEK:
        start = first - timedelta(days=first.weekday())
    else:
        start = first.replace(day=1)
    buckets: list[tuple[date, date]] = []
    while start <= last:
        if granularity == Granularity.DAY:
            end = start + timedelta(days=1)
        elif granularity == Granularity.WEEK:
            end = start + timedelta(days=7)
        else:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        buckets.append((start, end))
        start = end
    return buckets


@dataclass(frozen=True)
class Alert:
    kind: str
    week_starts_on: str
    previous_value: int
    value: int
    drop: float
    raised_at: datetime


@dataclass(frozen=True)
class Health:
    stage: Stage
    wau: int
    previous_wau: int
    wau_change: float | None
    alerts: list[Alert]


def stage_for(*, wau_change: float | None, member_growth: float | None, wau: int) -> Stage:
    """growing: members +10 % over 28 days or WAU +10 % week over week (or a first active
    week); declining: WAU -20 % or worse, or members shrinking; mature otherwise."""
    if (wau_change is not None and wau_change <= DECLINING) or (
        member_growth is not None and member_growth < 0
    ):
        return Stage.DECLINING
    if (member_growth is not None and member_growth >= GROWING) or (
        wau_change is not None and wau_change >= GROWING
    ):
        return Stage.GROWING
    if wau_change is None and member_growth is None:
        return Stage.GROWING if wau > 0 else Stage.MATURE
    return Stage.MATURE
