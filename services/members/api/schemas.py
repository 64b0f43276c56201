"""Request and response shapes of the members API."""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from services.common.events.envelope import utc_now
from services.common.fields import NoNul, ResourceId
from services.members.domain.models import JoinPolicy, MemberStatus, Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
UserId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), NoNul
]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul]
Rule = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul]


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA timezone such as 'Asia/Shanghai'") from exc
    return name


Timezone = Annotated[str, AfterValidator(_known_timezone)]


class CommunityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    topic: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None
    join_policy: JoinPolicy = JoinPolicy.OPEN
    timezone: Timezone = "Asia/Shanghai"
    rules: Annotated[list[Rule], Field(max_length=50)] = []


class CommunityPublic(BaseModel):
    id: str
    name: str
    topic: str | None
    description: str | None
    join_policy: JoinPolicy
    timezone: str
    rules: list[str]
    owner_user_id: str
    created_at: datetime
    updated_at: datetime


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    display_name: DisplayName
    invite_code: Annotated[str, StringConstraints(max_length=64), NoNul] | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    tier_id: ResourceId | None = None


class MemberPublic(BaseModel):
    id: str
    community_id: str
    user_id: str
    display_name: str
    status: MemberStatus
    role: Role
    tier_id: str | None
    tags: list[str]
    invited_by: str | None
    referral_count: int
    joined_at: datetime
    muted_until: datetime | None = None
    locked: bool = False
    on_leave: bool = False
    last_active_at: datetime | None = None

    @model_validator(mode="after")
    def _mute_ends_by_itself(self) -> "MemberPublic":
        # The table keeps `muted` until something else changes the member; a mute whose time
        # has passed is over, whoever reads it.
        if self.status == MemberStatus.MUTED and (
            self.muted_until is None or self.muted_until <= utc_now()
        ):
            self.status, self.muted_until = MemberStatus.ACTIVE, None
        return self
