"""Lockdown: an owner or admin closes the community to new members (or lets them in only by
approval, and/or mutes them on entry) until a time; lifting it ends it early. Both are
announced (`community.lockdown_started`, `community.lockdown_lifted`); joins are answered
accordingly while it holds (`entry_during_lockdown`, which joining asks). The caller commits
once."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import CommunityLockdownLifted, CommunityLockdownStarted
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.members.lockdown import repository
from services.members.lockdown.errors import CommunityLockedDown, NoLockdown
from services.members.lockdown.rules import Entry, LockdownJoins, entry
from services.members.lockdown.schemas import LockdownCreate
from services.members.memberships.rules import MemberStatus
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Lockdown


async def start_lockdown(
    *, uow: UnitOfWork, actor: Actor, community_id: str, lockdown_create: LockdownCreate
) -> Lockdown:
    """Start (or replace) the community's lockdown (owner and admins)."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    now = utc_now()
    row = Lockdown(
        community_id=community_id,
        joins=lockdown_create.joins,
        mute_new_members=lockdown_create.mute_new_members,
        until=lockdown_create.until,
        reason=lockdown_create.reason,
        started_by=actor.id,
        started_at=now,
    )
    await repository.save(uow.session, row)
    await uow.outbox.add(
        uow.session,
        CommunityLockdownStarted(
            community_id=community_id,
            joins=row.joins,
            mute_new_members=row.mute_new_members,
            until=row.until,
            reason=row.reason,
            started_by=actor.id,
            started_at=now,
        ),
    )
    return row


async def lift_lockdown(*, uow: UnitOfWork, actor: Actor, community_id: str) -> None:
    """End the lockdown now (owner and admins); 404 `no-lockdown` when none holds."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    now = utc_now()
    if await repository.active(uow.session, community_id, now) is None:
        raise NoLockdown
    await repository.lift(uow.session, community_id)
    await uow.outbox.add(
        uow.session,
        CommunityLockdownLifted(community_id=community_id, lifted_by=actor.id, lifted_at=now),
    )


async def get_lockdown(
    *, session: AsyncSession, actor: Actor, community_id: str
) -> Lockdown | None:
    """The lockdown holding now, if any (any member may see it)."""
    await acting(session, community_id=community_id, actor=actor, permission=None)
    return await repository.active(session, community_id, utc_now())


async def entry_during_lockdown(
    session: AsyncSession, *, community_id: str, status: MemberStatus, by_steward: bool
) -> Entry:
    """How a join enters now: as `status` when no lockdown holds; else refused (403
    `community-locked-down`), pending, or muted until the lockdown ends."""
    lockdown = await repository.active(session, community_id, utc_now())
    if lockdown is None:
        return Entry(refused=False, status=status)
    decided = entry(
        joins=LockdownJoins(lockdown.joins),
        mute_new_members=lockdown.mute_new_members,
        until=lockdown.until,
        status=status,
        by_steward=by_steward,
    )
    if decided.refused:
        raise CommunityLockedDown(lockdown.until)
    return decided
