"""Joining a community under its join policy (open → active, approval → pending, invite-only →
a valid invite code first), seated in a tier; and coming back after leaving, removal or
rejection."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue.vocabulary import Role
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.members.applications.service import take_answers
from services.members.communities.rules import JoinPolicy
from services.members.communities.service import get_community
from services.members.invites.errors import InviteRequired
from services.members.invites.service import redeem_invite
from services.members.joining.errors import AlreadyMember
from services.members.joining.schemas import MemberCreate
from services.members.lockdown.service import entry_during_lockdown
from services.members.memberships import repository as membership_repository
from services.members.memberships.rules import GONE_STATUSES, MemberStatus
from services.members.memberships.service import announce_joined
from services.members.permissions.errors import NotAllowed, PermissionRequired
from services.members.permissions.rules import Permission, may
from services.members.permissions.service import role_in
from services.members.tables import Community, Invite, Membership
from services.members.tiers.service import seat_in_tier


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
    earlier = await membership_repository.find_membership(
        session, community_id=community_id, user_id=user_id
    )
    if earlier is not None and earlier.status not in GONE_STATUSES:
        raise AlreadyMember(user_id)
    invite = await _redeem_invite(uow, community, member_create.invite_code)
    # A tier the caller names, else the one the invite names, else the entry tier.
    seat = await seat_in_tier(
        session=session,
        community=community,
        tier_id=member_create.tier_id or (invite.tier_id if invite else None),
    )
    admission = Admission(tier_id=seat, invited_by=invite.created_by if invite else None)
    # An invite is the gate of an invite-only community; approval still applies where required.
    status = (
        MemberStatus.PENDING
        if community.join_policy == JoinPolicy.APPROVAL
        else MemberStatus.ACTIVE
    )
    # A lockdown may refuse the join, hold it for approval, or mute the member on entry.
    entry = await entry_during_lockdown(
        session, community_id=community_id, status=status, by_steward=not acting_for_self
    )
    status = entry.status
    if earlier is not None:
        return await _rejoin(
            uow,
            earlier,
            member_create,
            status=status,
            admission=admission,
            muted_until=entry.muted_until,
        )
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
        muted_until=entry.muted_until,
    )
    if not await membership_repository.add_membership(session, membership):
        raise AlreadyMember(user_id)
    await take_answers(uow, membership=membership, answers=member_create.answers)
    if status != MemberStatus.PENDING:
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
        return await redeem_invite(uow=uow, community_id=community.id, code=invite_code)
    if community.join_policy == JoinPolicy.INVITE_ONLY:
        raise InviteRequired
    return None


async def _may_choose_tier(session: AsyncSession, *, community_id: str, actor: Actor) -> None:
    if actor.is_platform_admin:
        return
    role = await role_in(session, community_id=community_id, actor=actor)
    if not (role is not None and may(role, Permission.MANAGE_TIERS)):
        raise PermissionRequired(Permission.MANAGE_TIERS)


async def _rejoin(
    uow: UnitOfWork,
    earlier: Membership,
    member_create: MemberCreate,
    *,
    status: MemberStatus,
    admission: Admission,
    muted_until: datetime | None,
) -> Membership:
    """Take back someone who left, was removed or was rejected, under their old member id. Only
    one who left themselves may skip approval: removal and rejection were a steward's call. The
    referral is this join's: crediting the first inviter again would count one person twice."""
    if earlier.status in {MemberStatus.REMOVED, MemberStatus.REJECTED}:
        status, muted_until = MemberStatus.PENDING, None
    rejoined = await membership_repository.change_if(
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
        muted_until=muted_until,
    )
    if not rejoined:
        raise AlreadyMember(earlier.user_id)
    await take_answers(uow, membership=earlier, answers=member_create.answers, returning=True)
    if status != MemberStatus.PENDING:
        await announce_joined(uow, earlier)
    return earlier
