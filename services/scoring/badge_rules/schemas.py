"""Request and response shapes of badge rules and bulk awards."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from services.common.events.catalogue.vocabulary import ActivityType
from services.common.fields import ResourceId
from services.scoring.badge_rules.rules import BulkPool

Count = Annotated[StrictInt, Field(ge=1, le=1_000_000_000)]


class ActivityCountRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["activity_count"]
    activity_type: ActivityType
    count: Count = Field(description="Activities of the type (as posted, whatever they earned).")


class StreakRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["streak"]
    days: Annotated[StrictInt, Field(ge=1, le=3660)] = Field(
        description="A 打卡 check-in with a streak of this many days or more."
    )


class LevelRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["level"]
    level: Annotated[StrictInt, Field(ge=1, le=1000)]


class PointsRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["points"]
    points: Annotated[float, Field(gt=0, le=1_000_000_000, allow_inf_nan=False)] = Field(
        description="Points earned (awards count, redemptions do not lower it); 3 decimals kept."
    )


class BadgeRuleCreate(BaseModel):
    """One rule; the badge goes to every member who meets it, now and as activities arrive."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"rule": {"kind": "activity_count", "activity_type": "reply", "count": 50}},
                {"rule": {"kind": "streak", "days": 21}},
            ]
        },
    )

    rule: Annotated[
        ActivityCountRule | StreakRule | LevelRule | PointsRule, Field(discriminator="kind")
    ]


class BadgeRulePublic(BaseModel):
    id: str
    community_id: str
    badge_id: str
    kind: str = Field(description="activity_count | streak | level | points")
    activity_type: str | None
    threshold: float = Field(
        description="count, days, level, or points (activity_count, streak, level, points)."
    )
    created_by: str
    created_at: datetime
    awarded: int | None = Field(
        default=None, description="Members who met it when it was created and got the badge."
    )


class BadgeRuleList(BaseModel):
    items: list[BadgeRulePublic]


class BulkAwardCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"event_id": "evt_01JD0000000000000000000000", "pool": "attendees"}]
        },
    )

    event_id: ResourceId
    pool: BulkPool = BulkPool.ATTENDEES


class BulkAwardPublic(BaseModel):
    community_id: str
    badge: str
    event_id: str
    pool: BulkPool
    awarded: int = Field(description="Members who got the badge now.")
    skipped: int = Field(description="Members of the pool who held it already.")
    awarded_member_ids: list[str]
