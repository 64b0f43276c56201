"""Invite endpoints."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.pagination import Page
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


@router.get("/communities/{community_id}/invites")
async def list_invites(
    community_id: PathId, session: ReadSessionDep, page: PageDep, actor: ActorDep
) -> Page[InvitePublic]:
    """The community's invite codes, oldest first, with uses and revocation (owner, admin,
    diplomat or assistant)."""
    rows = await service.list_invites(
        session=session,
        actor=actor,
        community_id=community_id,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [InvitePublic.model_validate(row, from_attributes=True) for row in rows]
    return Page[InvitePublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.delete("/communities/{community_id}/invites/{invite_id}")
async def revoke_invite(
    community_id: PathId, invite_id: PathId, uow: UnitOfWorkDep, actor: ActorDep
) -> InvitePublic:
    """Revoke an invite code (owner, admin, diplomat or assistant): it admits nobody more."""
    invite = await service.revoke_invite(
        session=uow.session, actor=actor, community_id=community_id, invite_id=invite_id
    )
    return InvitePublic.model_validate(invite, from_attributes=True)
