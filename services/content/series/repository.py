"""Every query of the series: the series themselves and their occurrences' items."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.db_ops import insert_if_absent
from services.content.tables import ContentItem, Series


def add_series(session: AsyncSession, series: Series) -> None:
    session.add(series)


async def all_series(session: AsyncSession) -> Sequence[Series]:
    """Every series that is not paused (the worker's round)."""
    query = select(Series).where(col(Series.paused_at).is_(None)).order_by(col(Series.id))
    return (await session.execute(query)).scalars().all()


async def get_series(session: AsyncSession, series_id: str) -> Series | None:
    return await session.get(Series, series_id)


async def list_series(
    session: AsyncSession, *, community_id: str, after_id: str | None, limit: int
) -> Sequence[Series]:
    query = (
        select(Series)
        .where(col(Series.community_id) == community_id)
        .order_by(col(Series.id))
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(col(Series.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def unpublished_occurrences(session: AsyncSession, series_id: str) -> Sequence[ContentItem]:
    """The series' items still waiting to be published (scheduled, or approved without a
    slot)."""
    query = select(ContentItem).where(
        col(ContentItem.series_id) == series_id,
        col(ContentItem.status).in_(["scheduled", "approved"]),
    )
    return (await session.execute(query)).scalars().all()


async def delete_items(session: AsyncSession, items: Sequence[ContentItem]) -> None:
    for item in items:
        await session.delete(item)


async def delete_series(session: AsyncSession, series: Series) -> None:
    await session.delete(series)


async def occurrences_made(
    session: AsyncSession, *, series_id: str, start: datetime
) -> set[datetime]:
    query = select(col(ContentItem.occurrence_at)).where(
        col(ContentItem.series_id) == series_id, col(ContentItem.occurrence_at) >= start
    )
    return {row for row in (await session.execute(query)).scalars().all() if row is not None}


async def insert_item_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert an item unless one holds its (series_id, occurrence_at) already."""
    return await insert_if_absent(session, ContentItem.metadata.tables["content_item"], values)
