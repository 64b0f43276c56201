"""Every query the events service makes."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, update
from sqlalchemy import select as select_columns
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.common.db_ops import insert_if_absent
from services.events.domain.models import (
    ACTIVE_REGISTRATION,
    SEAT_HOLDING,
    EventStatus,
    RegistrationStatus,
)
from services.events.storage.tables import (
    Challenge,
    ChallengeCheckin,
    Event,
    Feedback,
    Lottery,
    Registration,
    membership,
    metadata,
)

# --- events ------------------------------------------------------------------------------------


async def get_event(session: AsyncSession, event_id: str) -> Event | None:
    return await session.get(Event, event_id)


async def lock_event(session: AsyncSession, event_id: str) -> Event | None:
    """The event, its row locked until the commit on PostgreSQL (`FOR UPDATE`); on SQLite the
    write transaction, begun IMMEDIATE, already holds the database's write lock. Whoever holds
    it hands out seats and waitlist positions alone, in arrival order."""
    query = select(Event).where(Event.id == event_id).with_for_update()
    # populate_existing: a row this session saw before is read again under the lock.
    result = await session.execute(query.execution_options(populate_existing=True))
    return result.scalars().first()


def add_event(session: AsyncSession, event: Event) -> None:
    session.add(event)


async def list_events(
    session: AsyncSession,
    *,
    community_id: str,
    status: str | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
    after_id: str | None,
    limit: int,
) -> Sequence[Event]:
    query = (
        select(Event).where(Event.community_id == community_id).order_by(col(Event.id)).limit(limit)
    )
    if status is not None:
        query = query.where(Event.status == status)
    if starts_from is not None:
        query = query.where(col(Event.starts_at) >= starts_from)
    if starts_before is not None:
        query = query.where(col(Event.starts_at) < starts_before)
    if after_id is not None:
        query = query.where(col(Event.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def calendar_events(
    session: AsyncSession, *, community_id: str, limit: int
) -> Sequence[Event]:
    """The community's events a calendar shows (not drafts), the latest `limit` by start."""
    query = (
        select(Event)
        .where(Event.community_id == community_id, Event.status != EventStatus.DRAFT)
        .order_by(col(Event.starts_at).desc(), col(Event.id))
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def events_due_for_completion(
    session: AsyncSession, *, now: datetime, limit: int
) -> Sequence[str]:
    query = (
        select(Event.id)
        .where(Event.status == EventStatus.PUBLISHED, col(Event.ends_at) <= now)
        .order_by(col(Event.ends_at))
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def change_event_status(
    session: AsyncSession,
    *,
    event_id: str,
    from_status: str,
    to_status: str,
    now: datetime,
    **values: Any,
) -> bool:
    """Move the event between states only if it is still in `from_status`: two replicas (or
    two requests) racing to make the same change both run this, and only one changes a row."""
    statement = (
        update(Event)
        .where(col(Event.id) == event_id, col(Event.status) == from_status)
        .values(status=to_status, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


# --- members (the projection) ------------------------------------------------------------------


async def member_in_community(
    session: AsyncSession, *, community_id: str, member_id: str
) -> Row[str, str, str, str, str | None] | None:
    """The projection's row of a member: member_id, user_id, status, role, tier_id."""
    table = membership.membership
    query = select_columns(
        table.c.member_id, table.c.user_id, table.c.status, table.c.role, table.c.tier_id
    ).where(table.c.community_id == community_id, table.c.member_id == member_id)
    return (await session.execute(query)).first()


async def community_timezone(session: AsyncSession, community_id: str) -> str | None:
    table = membership.community
    query = select(table.c.timezone).where(table.c.id == community_id)
    timezone: str | None = (await session.execute(query)).scalar()
    return timezone


# --- registrations -----------------------------------------------------------------------------


def add_registration(session: AsyncSession, registration: Registration) -> None:
    session.add(registration)


async def get_registration(session: AsyncSession, registration_id: str) -> Registration | None:
    query = select(Registration).where(Registration.id == registration_id)
    result = await session.execute(query.execution_options(populate_existing=True))
    return result.scalars().first()


async def active_registration(
    session: AsyncSession, *, event_id: str, member_id: str
) -> Registration | None:
    """The member's registration that is not cancelled or expired, if any."""
    query = select(Registration).where(
        Registration.event_id == event_id,
        Registration.member_id == member_id,
        col(Registration.status).in_(ACTIVE_REGISTRATION),
    )
    return (await session.execute(query)).scalars().first()


async def confirmed_registration(
    session: AsyncSession, *, event_id: str, member_id: str
) -> Registration | None:
    query = select(Registration).where(
        Registration.event_id == event_id,
        Registration.member_id == member_id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )
    return (await session.execute(query)).scalars().first()


async def count_registrations(session: AsyncSession, event_id: str) -> dict[str, int]:
    """Registrations of the event by status."""
    query = (
        select(Registration.status, func.count())
        .where(Registration.event_id == event_id)
        .group_by(col(Registration.status))
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def seats_held(session: AsyncSession, event_id: str) -> int:
    query = select(func.count()).where(
        Registration.event_id == event_id, col(Registration.status).in_(SEAT_HOLDING)
    )
    return int((await session.execute(query)).scalar_one())


async def waitlist_length(session: AsyncSession, event_id: str) -> int:
    query = select(func.count()).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITLISTED
    )
    return int((await session.execute(query)).scalar_one())


async def waitlist_position(session: AsyncSession, *, event_id: str, seq: int) -> int:
    """Where the waitlisted registration with arrival number `seq` stands (1 = next)."""
    query = select(func.count()).where(
        Registration.event_id == event_id,
        Registration.status == RegistrationStatus.WAITLISTED,
        col(Registration.seq) <= seq,
    )
    return int((await session.execute(query)).scalar_one())


async def first_waitlisted(
    session: AsyncSession, *, event_id: str, limit: int
) -> Sequence[Registration]:
    query = (
        select(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(col(Registration.seq))
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def list_registrations(
    session: AsyncSession, *, event_id: str, after_seq: int | None, limit: int
) -> Sequence[Registration]:
    query = (
        select(Registration)
        .where(Registration.event_id == event_id)
        .order_by(col(Registration.seq))
        .limit(limit)
    )
    if after_seq is not None:
        query = query.where(col(Registration.seq) > after_seq)
    return (await session.execute(query)).scalars().all()


async def registrant_member_ids(session: AsyncSession, event_id: str) -> list[str]:
    """Members with a seat, an offer or a waitlist place, in arrival order."""
    query = (
        select(Registration.member_id)
        .where(
            Registration.event_id == event_id,
            col(Registration.status).in_(ACTIVE_REGISTRATION),
            col(Registration.member_id).is_not(None),
        )
        .order_by(col(Registration.seq))
    )
    return [member_id for member_id in (await session.execute(query)).scalars() if member_id]


async def lottery_pool(session: AsyncSession, *, event_id: str, attendees: bool) -> list[str]:
    """Member ids of the event's attendees (checked in) or confirmed registrants, sorted."""
    query = select(Registration.member_id).where(
        Registration.event_id == event_id, col(Registration.member_id).is_not(None)
    )
    if attendees:
        query = query.where(col(Registration.checked_in_at).is_not(None))
    else:
        query = query.where(Registration.status == RegistrationStatus.CONFIRMED)
    return sorted(
        {member_id for member_id in (await session.execute(query)).scalars() if member_id}
    )


async def mark_checked_in(session: AsyncSession, *, registration_id: str, now: datetime) -> bool:
    """Record the check-in unless one is recorded: of two racing check-ins one wins."""
    statement = (
        update(Registration)
        .where(col(Registration.id) == registration_id, col(Registration.checked_in_at).is_(None))
        .values(checked_in_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def attended_count(session: AsyncSession, event_id: str) -> int:
    query = select(func.count()).where(
        Registration.event_id == event_id, col(Registration.checked_in_at).is_not(None)
    )
    return int((await session.execute(query)).scalar_one())


async def expired_offers(
    session: AsyncSession, *, now: datetime, limit: int
) -> Sequence[tuple[str, str]]:
    """(registration id, event id) of offered seats whose claim window has passed."""
    query = (
        select(Registration.id, Registration.event_id)
        .where(
            Registration.status == RegistrationStatus.OFFERED,
            col(Registration.offered_until) <= now,
        )
        .order_by(col(Registration.offered_until))
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


# --- feedback ----------------------------------------------------------------------------------


async def add_feedback(session: AsyncSession, feedback: Feedback) -> bool:
    """Insert the feedback unless the registration gave some already; True if inserted."""
    return await insert_if_absent(session, metadata.tables["feedback"], feedback.model_dump())


async def ratings(session: AsyncSession, event_id: str) -> list[int]:
    query = select(Feedback.rating).where(Feedback.event_id == event_id)
    return list((await session.execute(query)).scalars().all())


# --- lotteries ---------------------------------------------------------------------------------


def add_lottery(session: AsyncSession, lottery: Lottery) -> None:
    session.add(lottery)


async def get_lottery(session: AsyncSession, lottery_id: str) -> Lottery | None:
    return await session.get(Lottery, lottery_id)


async def mark_drawn(
    session: AsyncSession,
    *,
    lottery_id: str,
    winners: list[str],
    pool_size: int,
    now: datetime,
) -> bool:
    """Record the draw unless one is recorded: of two racing draws one wins."""
    statement = (
        update(Lottery)
        .where(col(Lottery.id) == lottery_id, col(Lottery.status) == "committed")
        .values(status="drawn", winners=winners, pool_size=pool_size, drawn_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


# --- challenges --------------------------------------------------------------------------------


def add_challenge(session: AsyncSession, challenge: Challenge) -> None:
    session.add(challenge)


async def get_challenge(
    session: AsyncSession, challenge_id: str, *, lock: bool = False
) -> Challenge | None:
    query = select(Challenge).where(Challenge.id == challenge_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalars().first()


async def add_challenge_checkin(session: AsyncSession, checkin: ChallengeCheckin) -> bool:
    """Insert the day unless the member checked in that day already; True if inserted."""
    return await insert_if_absent(
        session,
        metadata.tables["challenge_checkin"],
        checkin.model_dump(),
    )


async def checkin_days(
    session: AsyncSession, *, challenge_id: str, member_id: str
) -> list[tuple[date, bool]]:
    """(day, make-up?) of one member's check-ins in a challenge."""
    query = select(col(ChallengeCheckin.checked_in_on), col(ChallengeCheckin.make_up)).where(
        ChallengeCheckin.challenge_id == challenge_id, ChallengeCheckin.member_id == member_id
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def all_checkin_days(session: AsyncSession, challenge_id: str) -> dict[str, list[date]]:
    """Every member's check-in days in a challenge."""
    query = select(col(ChallengeCheckin.member_id), col(ChallengeCheckin.checked_in_on)).where(
        ChallengeCheckin.challenge_id == challenge_id
    )
    days: dict[str, list[date]] = {}
    for member_id, day in (await session.execute(query)).all():
        days.setdefault(member_id, []).append(day)
    return days


# --- erasure -----------------------------------------------------------------------------------


async def anonymise_member(
    session: AsyncSession, *, community_id: str, member_id: str, alias: str
) -> int:
    """Take the member out of the community's registrations (they still count), feedback
    comments and challenge check-ins (under `alias`); returns the registrations changed."""
    registration_ids = select(Registration.id).where(
        col(Registration.community_id) == community_id, col(Registration.member_id) == member_id
    )
    await session.execute(
        update(Feedback)
        .where(col(Feedback.registration_id).in_(registration_ids))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(Registration)
        .where(
            col(Registration.community_id) == community_id,
            col(Registration.member_id) == member_id,
        )
        .values(member_id=None, registered_by=None)
        .execution_options(synchronize_session=False)
    )
    challenge_ids = select(Challenge.id).where(Challenge.community_id == community_id)
    await session.execute(
        update(ChallengeCheckin)
        .where(
            col(ChallengeCheckin.challenge_id).in_(challenge_ids),
            col(ChallengeCheckin.member_id) == member_id,
        )
        .values(member_id=alias)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


async def lotteries_won_by(session: AsyncSession, *, community_id: str) -> Sequence[Lottery]:
    query = select(Lottery).where(Lottery.community_id == community_id, Lottery.status == "drawn")
    return (await session.execute(query)).scalars().all()
