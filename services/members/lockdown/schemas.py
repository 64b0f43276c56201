"""Request and response shapes of a lockdown."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from services.common.fields import Timestamp, Utf8Text
from services.members.lockdown.rules import LockdownJoins
from services.members.tables import Lockdown

MAX_LOCKDOWN = timedelta(days=30)


class LockdownCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: Timestamp
    joins: LockdownJoins = LockdownJoins.APPROVAL_ONLY
    mute_new_members: bool = False
    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), Utf8Text] | None
    ) = None

    @field_validator("until")
    @classmethod
    def _ahead(cls, until: datetime) -> datetime:
        now = datetime.now(UTC)
        if until <= now:
            raise ValueError("must be in the future")
        if until > now + MAX_LOCKDOWN:
            raise ValueError("a lockdown lasts at most 30 days")
        return until


class LockdownPublic(BaseModel):
    community_id: str
    joins: LockdownJoins
    mute_new_members: bool
    until: datetime
    reason: str | None
    started_by: str
    started_at: datetime

    @classmethod
    def of(cls, row: Lockdown) -> "LockdownPublic":
        return cls.model_validate(row, from_attributes=True)


class LockdownState(BaseModel):
    lockdown: LockdownPublic | None
