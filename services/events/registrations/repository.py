"""Every query about registrations: seats, the waitlist and its positions, offers."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.events.registrations.rules import (
    ACTIVE_REGISTRATION,
    SEAT_HOLDING,
    RegistrationStatus,
)
from services.events.tables import Registration


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


async def counts_by_event(
    session: AsyncSession, event_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Registrations by status of each of these events (one grouped query for a page)."""
    if not event_ids:
        return {}
    query = (
        select(Registration.event_id, Registration.status, func.count())
        .where(col(Registration.event_id).in_(set(event_ids)))
        .group_by(col(Registration.event_id), col(Registration.status))
    )
    counts: dict[str, dict[str, int]] = {}
    for event_id, registration_status, count in (await session.execute(query)).all():
        counts.setdefault(event_id, {})[registration_status] = count
    return counts


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
