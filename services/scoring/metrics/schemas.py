"""Response shapes of community metrics and health."""

from datetime import date, datetime

from pydantic import BaseModel, Field

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
    active: int = Field(description="Distinct members active in the bucket.")
    messages: int = Field(description="Messages (activity type message) in the bucket.")
    replies: int = Field(description="Replies in the bucket.")
    reactions: int = Field(description="Reactions in the bucket.")
    content_items: int = Field(description="Content items published in the bucket.")
    checkins: int = Field(description="Event check-ins (event_attended) in the bucket.")
    challenge_checkins: int = Field(description="打卡 challenge check-ins in the bucket.")


class RetentionCohort(BaseModel):
    cohort_starts_on: date
    size: int
    weeks: list[float | None]


class OnboardingMetricsPublic(BaseModel):
    """Of the members who joined in the window (formulas in docs/scoring.md, "Onboarding")."""

    checklist: list[str]
    joined: int
    onboarded: int
    completion_rate: float | None
    retention_measured: int
    onboarded_in_time: int
    week1_retention_onboarded: float | None
    not_onboarded_in_time: int
    week1_retention_not_onboarded: float | None


class MetricsPublic(BaseModel):
    granularity: Granularity
    timezone: str
    items: list[MetricsBucket]
    retention: list[RetentionCohort]
    # None while the community has no onboarding checklist.
    onboarding: OnboardingMetricsPublic | None = None


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
