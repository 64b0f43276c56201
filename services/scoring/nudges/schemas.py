"""Request and response shapes of win-back campaigns."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul, Timestamp
from services.scoring.nudges.rules import (
    DEFAULT_FREQUENCY_CAP_DAYS,
    DEFAULT_HOLDOUT_PERCENT,
    PLACEHOLDERS,
)
from services.scoring.segments.rules import Segment

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Template = Annotated[str, StringConstraints(min_length=1, max_length=2000), NoNul]
TierId = Annotated[str, StringConstraints(min_length=1, max_length=64), NoNul]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul]

_EXAMPLE: dict[str, Any] = {
    "name": "沉默成员回访",
    "segment": "slipping",
    "template": "{name} 你好 好久不见 {community} 这周有新活动 已经 {days_inactive} 天没见到你了",
    "holdout_percent": 10,
    "frequency_cap_days": 7,
}


class CampaignCreate(BaseModel):
    """A campaign targets exactly one of `segment`, `tier_id` or `tag` of this community."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: Name
    segment: Segment | None = None
    tier_id: TierId | None = Field(default=None, description="A tier of this community.")
    tag: Tag | None = None
    template: Template = Field(
        description="The message; placeholders " + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    )
    holdout_percent: int = Field(
        default=DEFAULT_HOLDOUT_PERCENT,
        ge=0,
        le=90,
        description="Share of targeted members who get nothing, to compare against.",
    )
    frequency_cap_days: int = Field(
        default=DEFAULT_FREQUENCY_CAP_DAYS,
        ge=0,
        le=365,
        description="Members nudged by any campaign within this many days are skipped (0: no cap).",
    )
    run_at: Timestamp | None = Field(
        default=None,
        description="When to run it; none: a draft, run with POST …/run.",
    )


class CampaignPublic(BaseModel):
    id: str
    community_id: str
    name: str
    segment: str | None
    tier_id: str | None
    tag: str | None
    template: str
    holdout_percent: int
    frequency_cap_days: int
    run_at: datetime | None
    status: str = Field(description="draft | scheduled | ran | cancelled")
    ran_at: datetime | None
    targeted: int = Field(description="members the target matched when it ran")
    nudged: int = Field(description="members sent a `nudge.due`")
    held_out: int = Field(description="members in the holdout (sent nothing)")
    capped: int = Field(description="members skipped: nudged too recently (in neither arm)")
    created_at: datetime
    updated_at: datetime


class RecipientPublic(BaseModel):
    member_id: str
    arm: str = Field(description="nudged | holdout | capped")
    assigned_at: datetime
    window_ends_at: datetime


class ArmPublic(BaseModel):
    members: int
    active_again: int = Field(description="members with an activity within the window")
    share: float | None = Field(description="active_again / members; null without members")


class CampaignReport(BaseModel):
    campaign_id: str
    status: str
    ran_at: datetime | None
    window_days: int
    window_ends_at: datetime | None
    window_complete: bool
    nudged: ArmPublic
    holdout: ArmPublic
    capped: int
    uplift: float | None = Field(description="nudged share minus holdout share")
    p_value: float | None = Field(description="two-sided, pooled two-proportion z-test")
    meaningful: bool = Field(
        description="false while the window runs or when either arm has too few members"
    )
    min_arm_members: int
    note: str | None
