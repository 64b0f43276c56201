"""The calendar feed's queries: the events it shows, its secret address, the community's name."""

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.events.events.rules import EventStatus
from services.events.tables import CalendarFeed, CommunityName, Event


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


async def feed_of(session: AsyncSession, community_id: str) -> CalendarFeed | None:
    return await session.get(CalendarFeed, community_id)


async def feed_by_token(session: AsyncSession, token: str) -> CalendarFeed | None:
    query = select(CalendarFeed).where(CalendarFeed.token == token)
    return (await session.execute(query)).scalars().first()


def add_feed(session: AsyncSession, feed: CalendarFeed) -> None:
    session.add(feed)


async def delete_feed(session: AsyncSession, community_id: str) -> bool:
    result = await session.execute(
        delete(CalendarFeed).where(col(CalendarFeed.community_id) == community_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def community_name(session: AsyncSession, community_id: str) -> str | None:
    row = await session.get(CommunityName, community_id)
    return row.name if row is not None else None


async def save_community_name(session: AsyncSession, community_id: str, name: str) -> None:
    row = await session.get(CommunityName, community_id)
    if row is None:
        session.add(CommunityName(community_id=community_id, name=name))
    else:
        row.name = name
