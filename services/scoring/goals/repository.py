"""Goals' queries."""

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.tables import goal_table


async def add_goal(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(goal_table).values(**values))


async def find_goal(
    session: AsyncSession, *, community_id: str, metric: str, period: str
) -> RowMapping | None:
    result = await session.execute(
        select(goal_table).where(
            goal_table.c.community_id == community_id,
            goal_table.c.metric == metric,
            goal_table.c.period == period,
        )
    )
    return result.mappings().one_or_none()


async def get_goal(session: AsyncSession, *, community_id: str, goal_id: str) -> RowMapping | None:
    result = await session.execute(
        select(goal_table).where(
            goal_table.c.community_id == community_id, goal_table.c.id == goal_id
        )
    )
    return result.mappings().one_or_none()


async def list_goals(
    session: AsyncSession,
    *,
    community_id: str,
    after_id: str | None = None,
    limit: int | None = None,
    periods: list[str] | None = None,
) -> list[RowMapping]:
    query = select(goal_table).where(goal_table.c.community_id == community_id)
    if after_id is not None:
        query = query.where(goal_table.c.id > after_id)
    if periods is not None:
        query = query.where(goal_table.c.period.in_(periods))
    query = query.order_by(goal_table.c.id)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).mappings().all())


async def set_target(
    session: AsyncSession, *, community_id: str, goal_id: str, values: dict[str, Any]
) -> RowMapping | None:
    result = await session.execute(
        update(goal_table)
        .where(goal_table.c.community_id == community_id, goal_table.c.id == goal_id)
        .values(**values)
        .returning(*goal_table.c)
    )
    return result.mappings().one_or_none()


async def delete_goal(session: AsyncSession, *, community_id: str, goal_id: str) -> bool:
    result = await session.execute(
        delete(goal_table).where(
            goal_table.c.community_id == community_id, goal_table.c.id == goal_id
        )
    )
    return bool(getattr(result, "rowcount", 0))
