"""Request and response shapes of the scoring API."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.common.fields import JsonObject, NoNul, ResourceId, Timestamp
from services.scoring.domain import rules
from services.scoring.domain.models import (
    INGESTIBLE_TYPES,
    ActivityType,
    Granularity,
    Period,
    RejectionReason,
)

ActivityId = Annotated[str, StringConstraints(min_length=1, max_length=128), NoNul]
# Any short text: a type scoring does not know is refused item by item, not the whole batch.
ActivityTypeName = Annotated[str, StringConstraints(min_length=1, max_length=40), NoNul]


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ActivityId
    community_id: ResourceId
    member_id: ResourceId
    type: ActivityTypeName = Field(
        description=f"One of: {', '.join(sorted(INGESTIBLE_TYPES))}; others are rejected "
        "item by item (`unknown_type`)."
    )
    # More than 5 minutes ahead of the server's clock is rejected item by item (`in_future`).
    occurred_at: Timestamp
    target_member_id: ResourceId | None = None
    content_id: ResourceId | None = None
    attrs: JsonObject | None = None


class ActivityRejected(BaseModel):
    index: int
    id: str
    reason: RejectionReason


class ActivitiesAccepted(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[ActivityRejected] = []


class StandingPublic(BaseModel):
    rank: int
    member_id: str
    display_name: str | None
    score: float


class LeaderboardPublic(BaseModel):
    period: Period
    period_start: str | None
    timezone: str
    tier_id: str | None
    items: list[StandingPublic]
    own: StandingPublic | None


class BreakdownLinePublic(BaseModel):
    type: str
    count: int
    points: float
    capped: int
    cooled_down: int


class DecayPublic(BaseModel):
    half_life_days: float
    as_of: datetime
    factor_since_last_activity: float | None
    score_at_last_activity: float | None


class EngagementPublic(BaseModel):
    community_id: str
    member_id: str
    display_name: str | None
    score: float
    points: float
    level: int
    badges: list[str]
    segment: str
    kol: bool
    kol_points: int
    rank: int | None
    activity_count: int
    all_time_points: float
    last_active_at: datetime | None
    breakdown: list[BreakdownLinePublic]
    decay: DecayPublic


Delta = Annotated[float, Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)]


class PointsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delta: Delta = Field(description="Points to award (> 0) or redeem (< 0); 3 decimals kept.")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200), NoNul]

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if round(value * rules.MILLI) == 0:
            raise ValueError("delta must not be 0")
        return value


class PointsPublic(BaseModel):
    community_id: str
    member_id: str
    points: float
    level: int


Weight = Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]
Cooldown = Annotated[int, Field(ge=0, le=7 * 86400)]
DailyCap = Annotated[int, Field(ge=0, le=1_000_000)]


class RulesUpdate(BaseModel):
    """A community's rules, whole: types left out take the defaults."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[ActivityType, Weight] = {}
    cooldown_seconds: dict[ActivityType, Cooldown] = {}
    daily_cap: dict[ActivityType, DailyCap] = {}
    half_life_days: Annotated[float, Field(ge=0.5, le=3650, allow_inf_nan=False)] = (
        rules.DEFAULT_HALF_LIFE_DAYS
    )


class RulesPublic(BaseModel):
    """The rules in force, every default spelled out."""

    weights: dict[str, float]
    cooldown_seconds: dict[str, int]
    daily_cap: dict[str, int]
    half_life_days: float


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
