"""Invite endpoints."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.common.events.envelope import utc_now
from services.common.fields import Timestamp
from services.members.domain import invites

router = APIRouter(tags=["members"])


def _in_the_future(moment: datetime) -> datetime:
    if moment <= utc_now():
        raise ValueError("must be in the future")
    return moment


class InviteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_uses: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    expires_at: Annotated[Timestamp, AfterValidator(_in_the_future)] | None = None


class InvitePublic(BaseModel):
    id: str
    code: str
    community_id: str
    created_by: str | None
    max_uses: int | None
    uses: int
    expires_at: datetime | None
    created_at: datetime


@router.post("/communities/{community_id}/invites", status_code=status.HTTP_201_CREATED)
async def create_invite(
    community_id: PathId, invite_create: InviteCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> InvitePublic:
    """Make an invite code (owner, admin, diplomat or assistant); without `max_uses` it can be
    used any number of times, without `expires_at` it never expires."""
    invite = await invites.create_invite(
        uow=uow,
        actor=actor,
        community_id=community_id,
        max_uses=invite_create.max_uses,
        expires_at=invite_create.expires_at,
    )
    return InvitePublic.model_validate(invite, from_attributes=True)
