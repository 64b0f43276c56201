"""HTTP endpoints of communities: create, list, read, edit."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.pagination import Page
from services.members.communities import service
from services.members.communities.schemas import CommunityCreate, CommunityPublic, CommunityUpdate

router = APIRouter(tags=["members"])

CommunityId = PathId


@router.post("/communities", status_code=status.HTTP_201_CREATED)
async def create_community(
    community_create: CommunityCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> CommunityPublic:
    """Create a community; the caller becomes its owner."""
    community = await service.create_community(
        uow=uow, actor=actor, community_create=community_create
    )
    return CommunityPublic.model_validate(community, from_attributes=True)


@router.get("/communities")
async def list_communities(
    session: ReadSessionDep, page: PageDep, _actor: ActorDep
) -> Page[CommunityPublic]:
    """Communities, oldest first."""
    rows = await service.list_communities(
        session=session, after_id=page.after_id, limit=page.fetch_limit
    )
    items = [CommunityPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page[CommunityPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}")
async def get_community(
    community_id: CommunityId, session: ReadSessionDep, _actor: ActorDep
) -> CommunityPublic:
    community = await service.get_community(session=session, community_id=community_id)
    return CommunityPublic.model_validate(community, from_attributes=True)


@router.patch("/communities/{community_id}")
async def update_community(
    community_id: CommunityId,
    community_update: CommunityUpdate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> CommunityPublic:
    """Edit a community's name, topic, description, join policy, timezone or rules (owner and
    admins)."""
    community = await service.update_community(
        uow=uow, actor=actor, community_id=community_id, community_update=community_update
    )
    return CommunityPublic.model_validate(community, from_attributes=True)
