"""Tier endpoints: owners and admins manage tiers; members see them."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.members.memberships.schemas import MemberPublic
from services.members.tiers import service
from services.members.tiers.schemas import (
    TierChangeList,
    TierChangePublic,
    TierCreate,
    TierList,
    TierMoveRequest,
    TierPublic,
    TierUpdate,
)

router = APIRouter(tags=["members"])


@router.post("/communities/{community_id}/tiers", status_code=status.HTTP_201_CREATED)
async def create_tier(
    community_id: PathId, tier_create: TierCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> TierPublic:
    """Add a tier (owner or admin); rank 1 is the core group."""
    view = await service.create_tier(
        session=uow.session,
        actor=actor,
        community_id=community_id,
        name=tier_create.name,
        rank=tier_create.rank,
        capacity=tier_create.capacity,
    )
    return TierPublic.of(view)


@router.get("/communities/{community_id}/tiers")
async def list_tiers(community_id: PathId, session: ReadSessionDep, actor: ActorDep) -> TierList:
    """The community's tiers by rank, with the seats taken in each."""
    views = await service.list_tiers(session=session, actor=actor, community_id=community_id)
    return TierList(items=[TierPublic.of(view) for view in views])


@router.patch("/communities/{community_id}/tiers/{tier_id}")
async def update_tier(
    community_id: PathId,
    tier_id: PathId,
    tier_update: TierUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> TierPublic:
    """Rename a tier or change its capacity (owner or admin)."""
    view = await service.update_tier(
        session=uow.session,
        actor=actor,
        community_id=community_id,
        tier_id=tier_id,
        name=tier_update.name,
        capacity=tier_update.capacity,
    )
    return TierPublic.of(view)


@router.delete(
    "/communities/{community_id}/tiers/{tier_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_tier(
    community_id: PathId, tier_id: PathId, uow: UnitOfWorkDep, actor: ActorDep
) -> None:
    """Delete an empty tier (owner or admin); 409 while it seats anyone, or if it is the last."""
    await service.delete_tier(
        session=uow.session, actor=actor, community_id=community_id, tier_id=tier_id
    )


@router.post("/communities/{community_id}/members/{member_id}/tier")
async def move_member(
    community_id: PathId,
    member_id: PathId,
    move: TierMoveRequest,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> MemberPublic:
    """Move a member to another tier by hand (owner or admin), within its capacity; audited,
    and `member.tier_changed` with reason `manual`."""
    member = await service.move_member(
        uow=uow,
        actor=actor,
        community_id=community_id,
        member_id=member_id,
        tier_id=move.tier_id,
        reason=move.reason,
    )
    return MemberPublic.model_validate(member, from_attributes=True)


@router.get("/communities/{community_id}/members/{member_id}/tier-changes")
async def list_tier_changes(
    community_id: PathId, member_id: PathId, session: ReadSessionDep, actor: ActorDep
) -> TierChangeList:
    """The member's tier moves made by hand, newest first (owner or admin): who, from, to, why."""
    changes = await service.tier_changes(
        session=session, actor=actor, community_id=community_id, member_id=member_id
    )
    return TierChangeList(
        items=[TierChangePublic.model_validate(c, from_attributes=True) for c in changes]
    )
