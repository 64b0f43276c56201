"""The members use cases. They change state and write events; the caller commits once."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import CommunityCreated, MemberJoined
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.members.api.schemas import CommunityCreate, MemberCreate
from services.members.domain.models import (
    AlreadyMember,
    CommunityNotFound,
    InviteRequired,
    JoinPolicy,
    MemberNotFound,
    MemberStatus,
    NotAllowed,
    Role,
)
from services.members.storage import repository
from services.members.storage.tables import Community, Membership


async def create_community(
    *, uow: UnitOfWork, actor: Actor, community_create: CommunityCreate
) -> Community:
    """Create a community owned by the caller."""
    now = utc_now()
    community = Community(
        id=new_id("cmty"),
        **community_create.model_dump(),
        owner_user_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(community)
    await uow.outbox.add(
        uow.session,
        CommunityCreated(
            community_id=community.id,
            name=community.name,
            topic=community.topic,
            join_policy=community.join_policy,
            timezone=community.timezone,
            owner_user_id=actor.id,
            created_at=now,
        ),
    )
    return community


async def get_community(*, session: AsyncSession, community_id: str) -> Community:
    """The community, or CommunityNotFound."""
    community = await repository.get_community(session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    return community


async def join_community(
    *, uow: UnitOfWork, actor: Actor, community_id: str, member_create: MemberCreate
) -> Membership:
    """Join a user to a community under its join policy: open → active, approval → pending."""
    session, user_id = uow.session, member_create.user_id
    community = await get_community(session=session, community_id=community_id)
    acting_for_self = actor.id == user_id
    if not (acting_for_self or actor.id == community.owner_user_id or actor.is_platform_admin):
        raise NotAllowed("Only the user themselves or the community's owner can add this member.")
    if community.join_policy == JoinPolicy.INVITE_ONLY:
        # Invites arrive in a later slice; until then no code is valid.
        raise InviteRequired
    if await repository.find_membership(session, community_id=community_id, user_id=user_id):
        raise AlreadyMember(user_id)

    status = (
        MemberStatus.ACTIVE if community.join_policy == JoinPolicy.OPEN else MemberStatus.PENDING
    )
    membership = Membership(
        id=new_id("mbr"),
        community_id=community_id,
        user_id=user_id,
        display_name=member_create.display_name,
        status=status,
        role=Role.MEMBER,
        tags=member_create.tags,
        joined_at=utc_now(),
    )
    if not await repository.add_membership(session, membership):
        raise AlreadyMember(user_id)
    if status == MemberStatus.ACTIVE:
        await uow.outbox.add(
            session,
            MemberJoined(
                community_id=community_id,
                member_id=membership.id,
                user_id=user_id,
                display_name=membership.display_name,
                status=status,
                role=membership.role,
                joined_at=membership.joined_at,
            ),
        )
    return membership


async def get_member(*, session: AsyncSession, community_id: str, member_id: str) -> Membership:
    """The membership, or MemberNotFound (also when the community does not exist)."""
    membership = await repository.get_membership(
        session, community_id=community_id, member_id=member_id
    )
    if membership is None:
        raise MemberNotFound(member_id)
    return membership


async def list_members(
    *,
    session: AsyncSession,
    community_id: str,
    status: MemberStatus | None,
    role: Role | None,
    after_id: str | None,
    limit: int,
) -> Sequence[Membership]:
    """Members of an existing community, in joining order."""
    await get_community(session=session, community_id=community_id)
    return await repository.list_memberships(
        session,
        community_id=community_id,
        status=status,
        role=role,
        after_id=after_id,
        limit=limit,
    )


async def list_communities(
    *, session: AsyncSession, after_id: str | None, limit: int
) -> Sequence[Community]:
    """Communities, oldest first."""
    return await repository.list_communities(session, after_id=after_id, limit=limit)
