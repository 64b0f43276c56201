"""HTTP endpoints of memberships: a community's members, one member, the caller's own."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep
from services.common.events.catalogue.vocabulary import Role, Segment
from services.common.fields import ID_MAX_LENGTH, ID_PATTERN
from services.common.pagination import Page
from services.members.memberships import service
from services.members.memberships.rules import MemberStatus
from services.members.memberships.schemas import MemberPublic, MyMembership
from services.members.permissions.errors import PermissionRequired
from services.members.permissions.rules import Permission
from services.members.permissions.service import Acting, acting

router = APIRouter(tags=["members"])

CommunityId = PathId
MemberId = PathId


async def _member_of_community(
    community_id: CommunityId, actor: ActorDep, session: ReadSessionDep
) -> Acting:
    # 404 for a stranger, as the other services answer: only members look inside a community.
    return await acting(session, community_id=community_id, actor=actor, permission=None)


MemberDep = Annotated[Acting, Depends(_member_of_community)]


def _as_seen_by(caller: Acting, member: object) -> MemberPublic:
    """A member as the caller may see them: others' user ids only to staff."""
    public = MemberPublic.model_validate(member, from_attributes=True)
    if public.user_id != caller.actor.id and not caller.may(Permission.VIEW_USER_IDS):
        public.user_id = None
    return public


@router.get("/communities/{community_id}/members")
async def list_members(
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    caller: MemberDep,
    *,
    member_status: Annotated[MemberStatus | None, Query(alias="status")] = None,
    role: Role | None = None,
    user_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    tier_id: Annotated[str | None, Query(max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50, pattern=r"^[^\x00]+$")] = None,
    segment: Segment | None = None,
) -> Page[MemberPublic]:
    """Members, filtered by status, role, tier, tag, engagement segment (as scoring last
    announced it) or user id (how a client finds its own
    `mbr_` id; another's only for staff, who see user ids)."""
    if (
        user_id is not None
        and user_id != caller.actor.id
        and not caller.may(Permission.VIEW_USER_IDS)
    ):
        raise PermissionRequired(Permission.VIEW_USER_IDS)
    rows = await service.list_members(
        session=session,
        community_id=community_id,
        status=member_status,
        role=role,
        user_id=user_id,
        tier_id=tier_id,
        tag=tag,
        segment=segment,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [_as_seen_by(caller, row) for row in rows]
    return Page[MemberPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/members/{member_id}")
async def get_member(
    community_id: CommunityId, member_id: MemberId, session: ReadSessionDep, caller: MemberDep
) -> MemberPublic:
    membership = await service.get_member(
        session=session, community_id=community_id, member_id=member_id
    )
    return _as_seen_by(caller, membership)


@router.get("/me/memberships")
async def my_memberships(
    session: ReadSessionDep,
    page: PageDep,
    actor: ActorDep,
    member_status: Annotated[MemberStatus | None, Query(alias="status")] = None,
) -> Page[MyMembership]:
    """The caller's communities, with their role, tier and status in each."""
    rows = await service.my_memberships(
        session=session,
        actor=actor,
        status=member_status,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [
        MyMembership.model_validate(
            {
                **MemberPublic.model_validate(membership, from_attributes=True).model_dump(),
                "community_name": name,
            }
        )
        for membership, name in rows
    ]
    return Page[MyMembership].of(items, limit=page.limit, id_of=lambda item: item.id)
