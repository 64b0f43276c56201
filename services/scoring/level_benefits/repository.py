"""Level benefits' queries."""

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.scoring.tables import level_benefit_table


async def set_benefits(
    session: AsyncSession,
    *,
    community_id: str,
    level: int,
    benefits: list[dict[str, Any]],
    by: str,
    at: datetime,
) -> None:
    values = {"benefits": benefits, "updated_by": by, "updated_at": at}
    row = {"community_id": community_id, "level": level, **values}
    if not await insert_if_absent(session, level_benefit_table, row):
        await session.execute(
            update(level_benefit_table)
            .where(
                level_benefit_table.c.community_id == community_id,
                level_benefit_table.c.level == level,
            )
            .values(**values)
        )


async def community_benefits(session: AsyncSession, *, community_id: str) -> list[RowMapping]:
    result = await session.execute(
        select(level_benefit_table).where(level_benefit_table.c.community_id == community_id)
    )
    return list(result.mappings().all())
