"""Every query about events themselves, and the membership projection's rows the service reads."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, update
from sqlalchemy import select as select_columns
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.events.events.rules import EventStatus
from services.events.tables import Event, membership


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
) -> Row[str, str, str, str, str | None, datetime | None] | None:
    """The projection's row of a member: member_id, user_id, status, role, tier_id,
    muted_until."""
    table = membership.membership
    query = select_columns(
        table.c.member_id,
        table.c.user_id,
        table.c.status,
        table.c.role,
        table.c.tier_id,
        table.c.muted_until,
    ).where(table.c.community_id == community_id, table.c.member_id == member_id)
    return (await session.execute(query)).first()


async def community_timezone(session: AsyncSession, community_id: str) -> str | None:
    table = membership.community
    query = select(table.c.timezone).where(table.c.id == community_id)
    timezone: str | None = (await session.execute(query)).scalar()
    return timezone
