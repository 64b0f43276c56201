"""Request and response shapes of community stewardship and self-service."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.common.fields import NoNul
from services.members.api.schemas import MemberPublic, Name, Rule, Timezone
from services.members.domain.models import JoinPolicy, Role


class CommunityUpdate(BaseModel):
    """Only the fields sent change; `topic` and `description` may be cleared with null."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    topic: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None
    join_policy: JoinPolicy | None = None
    timezone: Timezone | None = None
    rules: Annotated[list[Rule], Field(max_length=50)] | None = None

    @field_validator("name", "join_policy", "timezone", "rules")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Validators run only on sent values: an explicit null for a field that must have one.
        if value is None:
            raise ValueError("may not be null")
        return value


class MemberDecision(BaseModel):
    """An optional body of approve and reject: why, for the record (it travels in the event)."""

    model_config = ConfigDict(extra="forbid")

    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul] | None
    ) = None


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class MyMembership(MemberPublic):
    community_name: str
