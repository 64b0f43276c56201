"""Leaving and removal: `DELETE …/members/{mid}` on yourself is leaving (`member.left`), on
someone else removal (`member.removed`; only owners remove admins). The owner does neither."""

from services.common.auth import Actor
from services.common.events.catalogue import MemberLeft, MemberRemoved
from services.common.events.catalogue.vocabulary import Role
from services.common.events.envelope import utc_now
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.communities.service import get_community
from services.members.exits.schemas import MemberDeparture
from services.members.exits.service import record_exit, refuse_for_removal
from services.members.memberships import repository as membership_repository
from services.members.memberships.errors import WrongMemberStatus
from services.members.memberships.rules import MemberStatus
from services.members.memberships.service import get_member
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.roles.errors import OwnerOnly, TransferOwnershipFirst
from services.members.tables import Membership

CURRENT_STATUSES = (MemberStatus.PENDING, *sorted(BELONGING_STATUSES))


async def leave_or_remove(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    member_id: str,
    departure: MemberDeparture | None = None,
) -> Membership:
    """The member themselves leaves (`member.left`, with the reason they give, if any); a
    steward removes them (`member.removed`), after which only approval lets them back. The
    owner does neither."""
    session = uow.session
    await get_community(session=session, community_id=community_id)
    target = await membership_repository.get_membership(
        session, community_id=community_id, member_id=member_id
    )
    leaving = target is not None and target.user_id == actor.id
    remover = (
        None
        if leaving
        else await acting(
            session, community_id=community_id, actor=actor, permission=Permission.REMOVE
        )
    )
    if not leaving:
        refuse_for_removal(departure)
    membership = (
        target
        if target is not None
        else await get_member(session=session, community_id=community_id, member_id=member_id)
    )
    if membership.role == Role.OWNER:
        raise TransferOwnershipFirst("leave or be removed")
    if remover is not None and membership.role == Role.ADMIN and not remover.is_owner:
        raise OwnerOnly("remove an admin")
    status = MemberStatus.LEFT if leaving else MemberStatus.REMOVED
    if not await membership_repository.change_if(
        session, membership, statuses=CURRENT_STATUSES, status=status
    ):
        raise WrongMemberStatus(membership, "pending, active or muted")
    now = utc_now()
    base = {"community_id": community_id, "member_id": member_id, "user_id": membership.user_id}
    if leaving:
        reason = await record_exit(uow, membership=membership, departure=departure, left_at=now)
        await uow.outbox.add(session, MemberLeft(**base, left_at=now, reason=reason))
    else:
        await uow.outbox.add(session, MemberRemoved(**base, removed_by=actor.id, removed_at=now))
    return membership
