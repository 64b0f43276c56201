"""Request and response shapes of sanctions and the sanctions ladder."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul
from services.members.memberships.schemas import MemberPublic
from services.members.sanctions.rules import SanctionKind
from services.members.tables import Sanction

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul
]


class SanctionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SanctionKind
    reason: Reason
    duration_hours: (
        Annotated[int, Field(ge=1, le=8760, description="mute only; default: the ladder's")] | None
    ) = None


class SanctionPublic(BaseModel):
    id: str
    community_id: str
    member_id: str
    kind: SanctionKind
    reason: str
    duration_hours: int | None
    muted_until: datetime | None
    issued_by: str
    by_ladder: bool
    issued_at: datetime

    @classmethod
    def of(cls, sanction: Sanction) -> "SanctionPublic":
        return cls.model_validate(sanction, from_attributes=True)


class SanctionOutcomePublic(BaseModel):
    sanction: SanctionPublic
    escalation: SanctionPublic | None = Field(
        description="the mute or removal the ladder made of this warning, if it did"
    )
    member: MemberPublic


class SanctionLadder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warnings_before_mute: Annotated[int, Field(ge=1, le=100)] = 3
    mute_hours: Annotated[int, Field(ge=1, le=8760)] = 24
    mutes_before_removal: Annotated[int, Field(ge=0, le=100)] = 1
