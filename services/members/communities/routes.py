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
    return CommunityPublic.seen_by(community, member=True)


@router.get("/communities")
async def list_communities(
    session: ReadSessionDep, page: PageDep, actor: ActorDep
) -> Page[CommunityPublic]:
    """The caller's communities and, for discovery, those their owners list (without the
    owner), by id. A community is otherwise known only to its members."""
    rows = await service.list_communities(
        session=session, actor=actor, after_id=page.after_id, limit=page.fetch_limit
    )
    items = [CommunityPublic.seen_by(row, member=member) for row, member in rows]
    return Page[CommunityPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}")
async def get_community(
    community_id: CommunityId, session: ReadSessionDep, actor: ActorDep
) -> CommunityPublic:
    """A community the caller belongs to (or has applied to), or a listed one (without its
    owner); 404 for any other, as for its sub-resources."""
    community, member = await service.read_community(
        session=session, actor=actor, community_id=community_id
    )
    return CommunityPublic.seen_by(community, member=member)


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
    return CommunityPublic.seen_by(community, member=True)
