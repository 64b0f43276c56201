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
    return (await session.execute(select(Series).order_by(col(Series.id)))).scalars().all()


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
