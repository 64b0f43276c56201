"""Invite endpoints."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.members.invites import service
from services.members.invites.schemas import InviteCreate, InvitePublic

router = APIRouter(tags=["members"])


@router.post("/communities/{community_id}/invites", status_code=status.HTTP_201_CREATED)
async def create_invite(
    community_id: PathId, invite_create: InviteCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> InvitePublic:
    """Make an invite code (owner, admin, diplomat or assistant); without `max_uses` it can be
    used any number of times, without `expires_at` it never expires."""
    invite = await service.create_invite(
        uow=uow,
        actor=actor,
        community_id=community_id,
        max_uses=invite_create.max_uses,
        expires_at=invite_create.expires_at,
        tier_id=invite_create.tier_id,
    )
    return InvitePublic.model_validate(invite, from_attributes=True)
