"""Response shapes of community metrics and health."""

from datetime import date, datetime

from pydantic import BaseModel

from services.scoring.metrics.rules import Granularity


class MetricsBucket(BaseModel):
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
    # Departures by why: too_many_messages, not_relevant, no_time, found_alternative,
    # bad_experience, other (the member's exit reason), unspecified (left without one),
    # removed (by a steward); every key present, 0 where none.
    left_by_reason: dict[str, int]
    churn_rate_by_reason: dict[str, float | None]


class RetentionCohort(BaseModel):
    cohort_starts_on: date
    size: int
    weeks: list[float | None]


class MetricsPublic(BaseModel):
    granularity: Granularity
    timezone: str
    items: list[MetricsBucket]
    retention: list[RetentionCohort]


class HealthAlertPublic(BaseModel):
    kind: str
    week_starts_on: str
    previous_value: int
    value: int
    drop: float
    raised_at: datetime


class HealthPublic(BaseModel):
    stage: str
    wau: int
    previous_wau: int
    wau_change: float | None
    alerts: list[HealthAlertPublic]
