"""Request and response shapes of communities."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)

from services.common.fields import NoNul, ResourceId
from services.members.communities.rules import JoinPolicy

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
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
    listed: StrictBool = Field(
        default=False,
        description="Listed for discovery: callers outside the community may find and read it "
        "(without its owner). Unlisted (the default), it is known only to its members.",
    )


class CommunityUpdate(BaseModel):
    """Only the fields sent change; `topic` and `description` may be cleared with null."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    topic: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None
    join_policy: JoinPolicy | None = None
    timezone: Timezone | None = None
    rules: Annotated[list[Rule], Field(max_length=50)] | None = None
    listed: StrictBool | None = Field(default=None, description="Only the owner may change it.")
    entry_tier_id: ResourceId | None = Field(
        default=None,
        description="the tier newcomers join (never the core); null: the tier ranked just "
        "below the core",
    )

    @field_validator("name", "join_policy", "timezone", "rules", "listed")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Validators run only on sent values: an explicit null for a field that must have one.
        if value is None:
            raise ValueError("may not be null")
        return value


class CommunityPublic(BaseModel):
    id: str
    name: str
    topic: str | None
    description: str | None
    join_policy: JoinPolicy
    timezone: str
    rules: list[str]
    listed: bool
    owner_user_id: str | None = Field(
        description="The owner's user id; null when a caller outside the community reads it "
        "because it is listed."
    )
    entry_tier_id: str | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def seen_by(cls, community: Any, *, member: bool) -> "CommunityPublic":
        """The community as this caller may see it: whole to its members, without its owner
        to anyone else (who sees it only because it is listed)."""
        public = cls.model_validate(community, from_attributes=True)
        return public if member else public.model_copy(update={"owner_user_id": None})
