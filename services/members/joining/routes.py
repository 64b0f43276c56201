"""The join endpoint."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.members.joining import service
from services.members.joining.schemas import MemberCreate
from services.members.memberships.schemas import MemberPublic

router = APIRouter(tags=["members"])


@router.post("/communities/{community_id}/members", status_code=status.HTTP_201_CREATED)
async def join_community(
    community_id: PathId, member_create: MemberCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> MemberPublic:
    """Join a user: active in an open community, pending where approval is required."""
    membership = await service.join_community(
        uow=uow, actor=actor, community_id=community_id, member_create=member_create
    )
    return MemberPublic.model_validate(membership, from_attributes=True)
