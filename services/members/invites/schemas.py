"""Request and response shapes of invites."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.common.events.envelope import utc_now
from services.common.fields import ResourceId, Timestamp


def _in_the_future(moment: datetime) -> datetime:
    if moment <= utc_now():
        raise ValueError("must be in the future")
    return moment


class InviteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_uses: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    expires_at: Annotated[Timestamp, AfterValidator(_in_the_future)] | None = None
    tier_id: ResourceId | None = Field(
        default=None,
        description="seat those who use the code in this tier (needs manage_tiers); "
        "default: the community's entry tier",
    )


class InvitePublic(BaseModel):
    id: str
    code: str
    community_id: str
    created_by: str | None
    max_uses: int | None
    uses: int
    expires_at: datetime | None
    tier_id: str | None = None
    created_at: datetime
    revoked_at: datetime | None
