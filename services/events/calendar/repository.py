"""The calendar feed's query."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.events.events.rules import EventStatus
from services.events.tables import Event


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
