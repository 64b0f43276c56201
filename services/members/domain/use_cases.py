"""The members use cases. They change state and write events; the caller commits once."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import CommunityCreated, MemberJoined
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership import BELONGING_STATUSES
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
    """Create a community owned by the caller, who becomes its first member, as `owner`."""
    now = utc_now()
    community = Community(
        id=new_id("cmty"),
        **community_create.model_dump(),
        owner_user_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    owner = Membership(
        id=new_id("mbr"),
        community_id=community.id,
        user_id=actor.id,
        # Until the owner sets a name of their own; display names are at most 64 characters.
        display_name=actor.id[:64],
        status=MemberStatus.ACTIVE,
        role=Role.OWNER,
        tags=[],
        joined_at=now,
    )
    uow.session.add_all([community, owner])
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
    # After community.created, under the same key: the other services learn of the community
    # and its owner in this order.
    await _announce_joined(uow, owner)
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
        await _announce_joined(uow, membership)
    return membership


async def _announce_joined(uow: UnitOfWork, membership: Membership) -> None:
    await uow.outbox.add(
        uow.session,
        MemberJoined(
            community_id=membership.community_id,
            member_id=membership.id,
            user_id=membership.user_id,
            display_name=membership.display_name,
            status=membership.status,
            role=membership.role,
            tier_id=membership.tier_id,
            joined_at=membership.joined_at,
        ),
    )


async def admit_member(*, session: AsyncSession, community_id: str, actor: Actor) -> None:
    """Let a member of the community (or a platform admin) look inside it; to anyone else it
    answers as if it did not exist, as the other services do."""
    await get_community(session=session, community_id=community_id)
    if actor.is_platform_admin:
        return
    membership = await repository.find_membership(
        session, community_id=community_id, user_id=actor.id
    )
    if membership is None or membership.status not in BELONGING_STATUSES:
        raise CommunityNotFound(community_id)


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
    """Members of a community, in joining order (the caller was admitted by `admit_member`)."""
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
