"""Request and response shapes of the scoring API."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from services.common.events.envelope import utc_now
from services.common.fields import JsonObject, NoNul, ResourceId, Timestamp
from services.scoring.domain import rules
from services.scoring.domain.models import ActivityType, Period, RejectionReason

ActivityId = Annotated[str, StringConstraints(min_length=1, max_length=128), NoNul]


def _not_far_in_future(value: datetime) -> datetime:
    if value > utc_now() + rules.MAX_FUTURE_SKEW:
        minutes = int(rules.MAX_FUTURE_SKEW.total_seconds() // 60)
        raise ValueError(f"occurred_at may be at most {minutes} minutes in the future")
    return value


OccurredAt = Annotated[Timestamp, AfterValidator(_not_far_in_future)]


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ActivityId
    community_id: ResourceId
    member_id: ResourceId
    type: ActivityType
    occurred_at: OccurredAt
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
    items: list[StandingPublic]


class EngagementPublic(BaseModel):
    community_id: str
    member_id: str
    display_name: str | None
    score: float
    activity_count: int
    last_active_at: datetime | None
    rank: int | None
