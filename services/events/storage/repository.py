"""Every query the events service makes."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.events.storage.tables import Event


async def get_event(session: AsyncSession, event_id: str) -> Event | None:
    return await session.get(Event, event_id)


def add_event(session: AsyncSession, event: Event) -> None:
    session.add(event)


async def list_events(
    session: AsyncSession,
    *,
    community_id: str,
    status: str | None,
    after_id: str | None,
    limit: int,
) -> Sequence[Event]:
    query = (
        select(Event).where(Event.community_id == community_id).order_by(col(Event.id)).limit(limit)
    )
    if status is not None:
        query = query.where(Event.status == status)
    if after_id is not None:
        query = query.where(col(Event.id) > after_id)
    return (await session.execute(query)).scalars().all()
