"""The leave-or-remove endpoint."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.members.exits.schemas import MemberDeparture
from services.members.leaving import service
from services.members.memberships.schemas import MemberPublic

router = APIRouter(tags=["members"])


@router.delete("/communities/{community_id}/members/{member_id}")
async def leave_or_remove(
    community_id: PathId,
    member_id: PathId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    departure: MemberDeparture | None = None,
) -> MemberPublic:
    """Leave (your own membership) or remove a member (owner, admins, enforcers). Leaving may
    say why: `{reason, text}` (reason one of too_many_messages, not_relevant, no_time,
    found_alternative, bad_experience, other); a removal takes no body."""
    membership = await service.leave_or_remove(
        uow=uow, actor=actor, community_id=community_id, member_id=member_id, departure=departure
    )
    return MemberPublic.model_validate(membership, from_attributes=True)
