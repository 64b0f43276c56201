"""Queries of the early warnings: hourly counts, and events' ratings."""

from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.tables import EventRating, SignalHour, WarningThresholds

SIGNAL_HOUR: Table = SignalHour.__table__  # type: ignore[attr-defined]
EVENT_RATING: Table = EventRating.__table__  # type: ignore[attr-defined]


async def count(session: AsyncSession, *, community_id: str, kind: str, hour: datetime) -> int:
    """Add one to the hour's count; the count after it."""
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SIGNAL_HOUR).values(community_id=community_id, kind=kind, hour=hour, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["community_id", "kind", "hour"],
        set_={"count": SIGNAL_HOUR.c.count + 1},
    ).returning(SIGNAL_HOUR.c.count)
    return int((await session.execute(statement)).scalar_one())


async def total(
    session: AsyncSession, *, community_id: str, kind: str, since: datetime, until: datetime
) -> int:
    """The counts of the hours in [since, until)."""
    query = select(func.coalesce(func.sum(SIGNAL_HOUR.c.count), 0)).where(
        SIGNAL_HOUR.c.community_id == community_id,
        SIGNAL_HOUR.c.kind == kind,
        SIGNAL_HOUR.c.hour >= since,
        SIGNAL_HOUR.c.hour < until,
    )
    return int((await session.execute(query)).scalar_one())


async def get_thresholds(session: AsyncSession, community_id: str) -> WarningThresholds | None:
    return await session.get(WarningThresholds, community_id)


async def save_thresholds(session: AsyncSession, row: WarningThresholds) -> None:
    await session.merge(row)


async def add_rating(
    session: AsyncSession, *, community_id: str, event_id: str, ends_at: datetime, rating: int
) -> tuple[int, int, datetime, datetime | None]:
    """Add one rating to the event's tally; (ratings, sum, ends at, alerted at) after it."""
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(EVENT_RATING).values(
        event_id=event_id, community_id=community_id, ends_at=ends_at, ratings=1, rating_sum=rating
    )
    statement = statement.on_conflict_do_update(
        index_elements=["event_id"],
        set_={
            "ratings": EVENT_RATING.c.ratings + 1,
            "rating_sum": EVENT_RATING.c.rating_sum + rating,
        },
    ).returning(
        EVENT_RATING.c.ratings,
        EVENT_RATING.c.rating_sum,
        EVENT_RATING.c.ends_at,
        EVENT_RATING.c.alerted_at,
    )
    row = (await session.execute(statement)).one()
    return int(row[0]), int(row[1]), row[2], row[3]


async def previous_ratings(
    session: AsyncSession,
    *,
    community_id: str,
    event_id: str,
    before: datetime,
    min_ratings: int,
    limit: int,
) -> list[tuple[int, int]]:
    """(ratings, sum) of the community's `limit` latest events that ended before `before` with
    `min_ratings` ratings at least."""
    query = (
        select(EVENT_RATING.c.ratings, EVENT_RATING.c.rating_sum)
        .where(
            EVENT_RATING.c.community_id == community_id,
            EVENT_RATING.c.event_id != event_id,
            EVENT_RATING.c.ends_at < before,
            EVENT_RATING.c.ratings >= min_ratings,
        )
        .order_by(EVENT_RATING.c.ends_at.desc())
        .limit(limit)
    )
    return [(int(row[0]), int(row[1])) for row in (await session.execute(query)).all()]


async def mark_alerted(session: AsyncSession, *, event_id: str, at: datetime) -> bool:
    """Mark the event's rating alert raised; False if it was already (once per event)."""
    statement = (
        update(EVENT_RATING)
        .where(EVENT_RATING.c.event_id == event_id, EVENT_RATING.c.alerted_at.is_(None))
        .values(alerted_at=at)
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
