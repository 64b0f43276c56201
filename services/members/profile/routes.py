"""The endpoint that edits a member."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.members.memberships.schemas import MemberPublic
from services.members.profile import service
from services.members.profile.schemas import MemberUpdate

router = APIRouter(tags=["members"])


@router.patch("/communities/{community_id}/members/{member_id}")
async def update_member(
    community_id: PathId,
    member_id: PathId,
    member_update: MemberUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> MemberPublic:
    """Edit a member: display name and tags (the member or a steward); `locked` and `on_leave`
    (owner and admins), which keep the tier policy from moving the member."""
    membership = await service.update_member(
        uow=uow,
        actor=actor,
        community_id=community_id,
        member_id=member_id,
        changes=member_update.model_dump(exclude_unset=True),
    )
    return MemberPublic.model_validate(membership, from_attributes=True)
