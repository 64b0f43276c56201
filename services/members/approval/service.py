"""Deciding on pending members (owner, admins, assistants): approval emits `member.approved`
(the whole membership, so projections can insert it) then `member.joined`."""

from services.common.auth import Actor
from services.common.events.catalogue import MemberApproved, MemberRejected
from services.common.unit_of_work import UnitOfWork
from services.members.memberships import repository as membership_repository
from services.members.memberships.errors import WrongMemberStatus
from services.members.memberships.rules import MemberStatus
from services.members.memberships.service import announce_joined, get_member, membership_snapshot
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Membership


async def approve(
    *, uow: UnitOfWork, actor: Actor, community_id: str, member_id: str, reason: str | None
) -> Membership:
    """Let a pending member in: `member.approved`, then `member.joined`."""
    membership = await _decide(uow, actor, community_id, member_id, MemberStatus.ACTIVE)
    await uow.outbox.add(
        uow.session,
        MemberApproved(**membership_snapshot(membership), approved_by=actor.id, reason=reason),
    )
    await announce_joined(uow, membership)
    return membership


async def reject(
    *, uow: UnitOfWork, actor: Actor, community_id: str, member_id: str, reason: str | None
) -> Membership:
    """Turn a pending member away (`member.rejected`); they may ask again later."""
    membership = await _decide(uow, actor, community_id, member_id, MemberStatus.REJECTED)
    await uow.outbox.add(
        uow.session,
        MemberRejected(
            community_id=community_id,
            member_id=member_id,
            user_id=membership.user_id,
            rejected_by=actor.id,
            reason=reason,
        ),
    )
    return membership


async def _decide(
    uow: UnitOfWork, actor: Actor, community_id: str, member_id: str, status: MemberStatus
) -> Membership:
    """Move a pending member on; of two stewards deciding at once, one wins, the other gets 409."""
    await acting(uow.session, community_id=community_id, actor=actor, permission=Permission.APPROVE)
    membership = await get_member(
        session=uow.session, community_id=community_id, member_id=member_id
    )
    if not await membership_repository.change_if(
        uow.session, membership, statuses=[MemberStatus.PENDING], status=status
    ):
        raise WrongMemberStatus(membership, "pending")
    return membership
