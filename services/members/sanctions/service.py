"""Sanctions (处罚措施): warn, mute, remove, and the per-community ladder that escalates
warnings (`rules.Ladder`; default: 3 warnings → a 24 h mute; 3 more warnings after a mute →
removal).

A mute ends by itself: the member stays `muted` with `muted_until` in the table, and every read
shows them `active` once that time has passed (no worker has to wake them). Nobody sanctions
the owner; only the owner sanctions an admin. A removed member comes back only through approval.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import Forbidden
from services.common.events.catalogue import MemberRemoved, MemberSanctioned
from services.common.events.catalogue.vocabulary import Role
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.memberships import repository as membership_repository
from services.members.memberships.errors import WrongMemberStatus
from services.members.memberships.rules import MemberStatus
from services.members.memberships.service import get_member
from services.members.permissions.errors import PermissionRequired
from services.members.permissions.rules import Permission
from services.members.permissions.service import Acting, acting
from services.members.roles.errors import OwnerOnly
from services.members.sanctions import repository
from services.members.sanctions.rules import Ladder, SanctionKind
from services.members.tables import Membership, Sanction


class OwnerCannotBeSanctioned(Forbidden):
    slug = "owner-cannot-be-sanctioned"

    def __init__(self) -> None:
        super().__init__("Nobody can sanction the community's owner.")


@dataclass(frozen=True)
class SanctionOutcome:
    sanction: Sanction
    # The mute or removal the ladder made of a warning, if it did.
    escalation: Sanction | None
    membership: Membership


async def sanction_member(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    member_id: str,
    kind: SanctionKind,
    reason: str,
    duration_hours: int | None,
) -> SanctionOutcome:
    """Warn, mute or remove a member (owner, admins, enforcers); a warning may climb the
    community's ladder to a mute or a removal."""
    session = uow.session
    steward = await acting(
        session, community_id=community_id, actor=actor, permission=Permission.SANCTION
    )
    membership = await get_member(session=session, community_id=community_id, member_id=member_id)
    return await sanction_membership(
        uow=uow,
        steward=steward,
        membership=membership,
        kind=kind,
        reason=reason,
        duration_hours=duration_hours,
    )


def refusal(steward: Acting, membership: Membership) -> Forbidden | WrongMemberStatus | None:
    """Why this steward may not sanction this member, or None if they may."""
    if membership.role == Role.OWNER:
        return OwnerCannotBeSanctioned()
    if membership.role == Role.ADMIN and not steward.is_owner:
        return OwnerOnly("sanction an admin")
    if membership.status not in BELONGING_STATUSES:
        return WrongMemberStatus(membership, "active or muted")
    return None


async def sanction_membership(
    *,
    uow: UnitOfWork,
    steward: Acting,
    membership: Membership,
    kind: SanctionKind,
    reason: str,
    duration_hours: int | None,
) -> SanctionOutcome:
    """`sanction_member` for a steward already admitted with the sanction permission and a
    member already loaded (chat moderation and case resolutions sanction this way)."""
    if (refused := refusal(steward, membership)) is not None:
        raise refused
    session = uow.session
    actor = steward.actor
    ladder = Ladder.of(steward.community.sanction_ladder)
    now = utc_now()
    escalation: Sanction | None = None
    if kind == SanctionKind.WARN:
        counts = await repository.count_warning(
            session, member_id=membership.id, statuses=sorted(BELONGING_STATUSES)
        )
        if counts is None:
            raise WrongMemberStatus(membership, "active or muted")
        warnings, mutes = counts
        sanction = await _record(
            uow, membership, actor, SanctionKind.WARN, reason, now=now, warnings=warnings
        )
        if warnings >= ladder.warnings_before_mute:
            climbed = (
                SanctionKind.REMOVE if mutes >= ladder.mutes_before_removal else SanctionKind.MUTE
            )
            why = f"ladder: {warnings} warnings (last: {reason})"[:500]
            escalation = await _apply(
                uow,
                membership,
                actor,
                climbed,
                why,
                mute_hours=ladder.mute_hours,
                mutes=mutes,
                now=now,
                by_ladder=True,
            )
    else:
        hours = duration_hours if duration_hours is not None else ladder.mute_hours
        sanction = await _apply(
            uow,
            membership,
            actor,
            kind,
            reason,
            mute_hours=hours,
            mutes=membership.mute_count,
            now=now,
        )
    return SanctionOutcome(sanction, escalation, membership)


async def _apply(
    uow: UnitOfWork,
    membership: Membership,
    actor: Actor,
    kind: SanctionKind,
    reason: str,
    *,
    mute_hours: int,
    mutes: int,
    now: datetime,
    by_ladder: bool = False,
) -> Sanction:
    """Mute or remove the member, and record it. `mutes`: the member's mutes so far, as the
    warning's own UPDATE returned them (the loaded row may predate a concurrent mute)."""
    session = uow.session
    if kind == SanctionKind.MUTE:
        until = now + timedelta(hours=mute_hours)
        if membership.muted_until is not None and membership.status == MemberStatus.MUTED:
            until = max(until, membership.muted_until)  # a mute never shortens a longer one
        changed = await membership_repository.change_if(
            session,
            membership,
            statuses=sorted(BELONGING_STATUSES),
            status=MemberStatus.MUTED,
            muted_until=until,
            warning_count=0,
            mute_count=mutes + 1,
        )
    else:
        changed = await membership_repository.change_if(
            session,
            membership,
            statuses=sorted(BELONGING_STATUSES),
            status=MemberStatus.REMOVED,
            muted_until=None,
            warning_count=0,
        )
    if not changed:
        raise WrongMemberStatus(membership, "active or muted")
    sanction = await _record(
        uow,
        membership,
        actor,
        kind,
        reason,
        now=now,
        warnings=membership.warning_count,
        duration_hours=mute_hours if kind == SanctionKind.MUTE else None,
        muted_until=membership.muted_until if kind == SanctionKind.MUTE else None,
        by_ladder=by_ladder,
    )
    if kind == SanctionKind.REMOVE:
        await uow.outbox.add(
            session,
            MemberRemoved(
                community_id=membership.community_id,
                member_id=membership.id,
                user_id=membership.user_id,
                removed_by=actor.id,
                removed_at=now,
            ),
        )
    return sanction


async def _record(
    uow: UnitOfWork,
    membership: Membership,
    actor: Actor,
    kind: SanctionKind,
    reason: str,
    *,
    now: datetime,
    warnings: int,
    duration_hours: int | None = None,
    muted_until: datetime | None = None,
    by_ladder: bool = False,
) -> Sanction:
    sanction = Sanction(
        id=new_id("snct"),
        community_id=membership.community_id,
        member_id=membership.id,
        kind=kind,
        reason=reason,
        duration_hours=duration_hours,
        muted_until=muted_until,
        issued_by=actor.id,
        by_ladder=by_ladder,
        issued_at=now,
    )
    await repository.add(uow.session, sanction)
    await uow.outbox.add(
        uow.session,
        MemberSanctioned(
            community_id=membership.community_id,
            member_id=membership.id,
            user_id=membership.user_id,
            sanction_id=sanction.id,
            kind=kind,
            reason=reason,
            muted_until=muted_until,
            sanctioned_by=actor.id,
            by_ladder=by_ladder,
            warning_count=warnings,
            issued_at=now,
        ),
    )
    return sanction


async def sanction_history(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    member_id: str,
    after_id: str | None,
    limit: int,
) -> Sequence[Sanction]:
    """A member's sanctions, oldest first: for those who may sanction, and for the member."""
    caller = await acting(session, community_id=community_id, actor=actor, permission=None)
    membership = await get_member(session=session, community_id=community_id, member_id=member_id)
    if membership.user_id != actor.id and not caller.may(Permission.SANCTION):
        raise PermissionRequired(Permission.SANCTION)
    return await repository.history(session, member_id=member_id, after_id=after_id, limit=limit)


async def set_ladder(*, uow: UnitOfWork, actor: Actor, community_id: str, ladder: Ladder) -> Ladder:
    """Replace the community's sanctions ladder (owner and admins)."""
    steward = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    steward.community.sanction_ladder = ladder.as_json()
    return ladder


async def get_ladder(*, session: AsyncSession, actor: Actor, community_id: str) -> Ladder:
    """The community's sanctions ladder (its members may read it: it is part of the rules)."""
    caller = await acting(session, community_id=community_id, actor=actor, permission=None)
    return Ladder.of(caller.community.sanction_ladder)
