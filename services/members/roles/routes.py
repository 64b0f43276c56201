"""The role endpoint: give a member a role, or transfer ownership."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.members.memberships.schemas import MemberPublic
from services.members.roles import service
from services.members.roles.schemas import RoleChange

router = APIRouter(tags=["members"])


@router.put("/communities/{community_id}/members/{member_id}/role")
async def change_role(
    community_id: PathId,
    member_id: PathId,
    role_change: RoleChange,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> MemberPublic:
    """Give a member a role (owner and admins; only the owner makes admins). Role `owner`
    transfers ownership: the previous owner becomes an admin."""
    membership = await service.change_role(
        uow=uow, actor=actor, community_id=community_id, member_id=member_id, role=role_change.role
    )
    return MemberPublic.model_validate(membership, from_attributes=True)
