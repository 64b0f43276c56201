"""The leave-or-remove endpoint."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.members.leaving import service
from services.members.memberships.schemas import MemberPublic

router = APIRouter(tags=["members"])


@router.delete("/communities/{community_id}/members/{member_id}")
async def leave_or_remove(
    community_id: PathId, member_id: PathId, uow: UnitOfWorkDep, actor: ActorDep
) -> MemberPublic:
    """Leave (your own membership) or remove a member (owner, admins, enforcers)."""
    membership = await service.leave_or_remove(
        uow=uow, actor=actor, community_id=community_id, member_id=member_id
    )
    return MemberPublic.model_validate(membership, from_attributes=True)
