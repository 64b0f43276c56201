"""Queries of the early warnings: hourly counts."""

from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.tables import SignalHour, WarningThresholds

SIGNAL_HOUR: Table = SignalHour.__table__  # type: ignore[attr-defined]


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
