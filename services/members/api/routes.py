"""HTTP endpoints of the members service."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.auth import Actor
from services.common.fields import ID_MAX_LENGTH, ID_PATTERN
from services.common.pagination import Page
from services.members.api.schemas import (
    CommunityCreate,
    CommunityPublic,
    MemberCreate,
    MemberPublic,
)
from services.members.domain import admission, use_cases
from services.members.domain.models import MemberStatus, Role

router = APIRouter(tags=["members"])

CommunityId = PathId
MemberId = PathId


async def _member_of_community(
    community_id: CommunityId, actor: ActorDep, session: ReadSessionDep
) -> Actor:
    # 404 for a stranger, as the other services answer: only members look inside a community.
    await admission.acting(session, community_id=community_id, actor=actor, permission=None)
    return actor


MemberDep = Annotated[Actor, Depends(_member_of_community)]


@router.post("/communities", status_code=status.HTTP_201_CREATED)
async def create_community(
    community_create: CommunityCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> CommunityPublic:
    """Create a community; the caller becomes its owner."""
    community = await use_cases.create_community(
        uow=uow, actor=actor, community_create=community_create
    )
    return CommunityPublic.model_validate(community, from_attributes=True)


@router.get("/communities")
async def list_communities(
    session: ReadSessionDep, page: PageDep, _actor: ActorDep
) -> Page[CommunityPublic]:
    """Communities, oldest first."""
    rows = await use_cases.list_communities(
        session=session, after_id=page.after_id, limit=page.fetch_limit
    )
    items = [CommunityPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page[CommunityPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}")
async def get_community(
    community_id: CommunityId, session: ReadSessionDep, _actor: ActorDep
) -> CommunityPublic:
    community = await use_cases.get_community(session=session, community_id=community_id)
    return CommunityPublic.model_validate(community, from_attributes=True)


@router.post("/communities/{community_id}/members", status_code=status.HTTP_201_CREATED)
async def join_community(
    community_id: CommunityId, member_create: MemberCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> MemberPublic:
    """Join a user: active in an open community, pending where approval is required."""
    membership = await use_cases.join_community(
        uow=uow, actor=actor, community_id=community_id, member_create=member_create
    )
    return MemberPublic.model_validate(membership, from_attributes=True)


@router.get("/communities/{community_id}/members")
async def list_members(
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    _member: MemberDep,
    *,
    member_status: Annotated[MemberStatus | None, Query(alias="status")] = None,
    role: Role | None = None,
    user_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    tier_id: Annotated[str | None, Query(max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50, pattern=r"^[^\x00]+$")] = None,
) -> Page[MemberPublic]:
    """Members, filtered by status, role, tier, tag or user id (how a client finds its own
    `mbr_` id)."""
    rows = await use_cases.list_members(
        session=session,
        community_id=community_id,
        status=member_status,
        role=role,
        user_id=user_id,
        tier_id=tier_id,
        tag=tag,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [MemberPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page[MemberPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/members/{member_id}")
async def get_member(
    community_id: CommunityId, member_id: MemberId, session: ReadSessionDep, _member: MemberDep
) -> MemberPublic:
    membership = await use_cases.get_member(
        session=session, community_id=community_id, member_id=member_id
    )
    return MemberPublic.model_validate(membership, from_attributes=True)
