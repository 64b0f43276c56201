"""The members use cases. They change state and write events; the caller commits once."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import CommunityCreated, MemberJoined
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityNotFound
from services.common.unit_of_work import UnitOfWork
from services.members.api.schemas import CommunityCreate, MemberCreate
from services.members.domain import admission, referrals, seating
from services.members.domain.models import (
    AlreadyMember,
    InviteRequired,
    JoinPolicy,
    MemberNotFound,
    MemberStatus,
    NotAllowed,
    Role,
)
from services.members.domain.permissions import Permission, PermissionRequired, may
from services.members.storage import member_changes, repository
from services.members.storage.tables import Community, Invite, Membership

GONE_STATUSES = (MemberStatus.LEFT, MemberStatus.REMOVED, MemberStatus.REJECTED)


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
    first_tier = seating.default_tier(community)
    owner = Membership(
        id=new_id("mbr"),
        community_id=community.id,
        user_id=actor.id,
        # Until the owner sets a name of their own; display names are at most 64 characters.
        display_name=actor.id[:64],
        status=MemberStatus.ACTIVE,
        role=Role.OWNER,
        tier_id=first_tier.id,
        tags=[],
        joined_at=now,
    )
    uow.session.add_all([community, first_tier, owner])
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
    await announce_joined(uow, owner)
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
    if member_create.tier_id is not None:
        await _may_choose_tier(session, community_id=community_id, actor=actor)
    earlier = await repository.find_membership(session, community_id=community_id, user_id=user_id)
    if earlier is not None and earlier.status not in GONE_STATUSES:
        raise AlreadyMember(user_id)
    invite = await _redeem_invite(uow, community, member_create.invite_code)
    seat = await seating.seat_in_tier(
        session=session, community_id=community_id, tier_id=member_create.tier_id
    )
    admission = Admission(tier_id=seat, invited_by=invite.created_by if invite else None)
    # An invite is the gate of an invite-only community; approval still applies where required.
    status = (
        MemberStatus.PENDING
        if community.join_policy == JoinPolicy.APPROVAL
        else MemberStatus.ACTIVE
    )
    if earlier is not None:
        return await _rejoin(uow, earlier, member_create, status=status, admission=admission)
    membership = Membership(
        id=new_id("mbr"),
        community_id=community_id,
        user_id=user_id,
        display_name=member_create.display_name,
        status=status,
        role=Role.MEMBER,
        tier_id=admission.tier_id,
        tags=member_create.tags,
        invited_by=admission.invited_by,
        joined_at=utc_now(),
    )
    if not await repository.add_membership(session, membership):
        raise AlreadyMember(user_id)
    if status == MemberStatus.ACTIVE:
        await announce_joined(uow, membership)
    return membership


@dataclass(frozen=True)
class Admission:
    """Where a join seats the member, and who brought them this time (None: nobody)."""

    tier_id: str | None
    invited_by: str | None


async def _redeem_invite(
    uow: UnitOfWork, community: Community, invite_code: str | None
) -> Invite | None:
    if invite_code is not None:
        return await referrals.redeem(uow, community_id=community.id, code=invite_code)
    if community.join_policy == JoinPolicy.INVITE_ONLY:
        raise InviteRequired
    return None


async def _may_choose_tier(session: AsyncSession, *, community_id: str, actor: Actor) -> None:
    if actor.is_platform_admin:
        return
    role = await admission.role_in(session, community_id=community_id, actor=actor)
    if not (role is not None and may(role, Permission.MANAGE_TIERS)):
        raise PermissionRequired(Permission.MANAGE_TIERS)


async def _rejoin(
    uow: UnitOfWork,
    earlier: Membership,
    member_create: MemberCreate,
    *,
    status: MemberStatus,
    admission: Admission,
) -> Membership:
    """Take back someone who left, was removed or was rejected, under their old member id. Only
    one who left themselves may skip approval: removal and rejection were a steward's call. The
    referral is this join's: crediting the first inviter again would count one person twice."""
    if earlier.status in {MemberStatus.REMOVED, MemberStatus.REJECTED}:
        status = MemberStatus.PENDING
    rejoined = await member_changes.change_if(
        uow.session,
        earlier,
        statuses=GONE_STATUSES,
        status=status,
        role=Role.MEMBER,
        display_name=member_create.display_name,
        tags=member_create.tags,
        tier_id=admission.tier_id,
        invited_by=admission.invited_by,
        joined_at=utc_now(),
    )
    if not rejoined:
        raise AlreadyMember(earlier.user_id)
    if status == MemberStatus.ACTIVE:
        await announce_joined(uow, earlier)
    return earlier


async def announce_joined(uow: UnitOfWork, membership: Membership) -> None:
    # A referral counts when the join takes effect, which is when it is announced.
    await referrals.credit_referral(uow, inviter_id=membership.invited_by)
    await uow.outbox.add(uow.session, MemberJoined(**membership_snapshot(membership)))


def membership_snapshot(membership: Membership) -> dict[str, Any]:
    """The fields of a `MembershipSnapshot` event (`member.joined`, `member.approved`)."""
    fields = ("community_id", "user_id", "display_name", "status", "role", "tier_id", "invited_by")
    return {
        "member_id": membership.id,
        "joined_at": membership.joined_at,
        **{name: getattr(membership, name) for name in fields},
    }


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
    user_id: str | None = None,
    tier_id: str | None = None,
    tag: str | None = None,
    after_id: str | None,
    limit: int,
) -> Sequence[Membership]:
    """Members of a community, in joining order (the caller was admitted by `admission.acting`)."""
    return await repository.list_memberships(
        session,
        community_id=community_id,
        status=status,
        role=role,
        user_id=user_id,
        tier_id=tier_id,
        tag=tag,
        after_id=after_id,
        limit=limit,
    )


async def list_communities(
    *, session: AsyncSession, after_id: str | None, limit: int
) -> Sequence[Community]:
    """Communities, oldest first."""
    return await repository.list_communities(session, after_id=after_id, limit=limit)
