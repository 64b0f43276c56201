"""The badges' queries."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.scoring.tables import badge_table, definition_table


async def member_badges(
    session: AsyncSession, *, community_id: str, member_id: str
) -> Sequence[Any]:
    query = (
        select(badge_table.c.badge, badge_table.c.awarded_at)
        .where(badge_table.c.community_id == community_id, badge_table.c.member_id == member_id)
        .order_by(badge_table.c.awarded_at, badge_table.c.badge)
    )
    return (await session.execute(query)).all()


async def add_definition(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(definition_table).values(**values))


async def definitions(session: AsyncSession, *, community_id: str) -> Sequence[Any]:
    query = (
        select(definition_table)
        .where(definition_table.c.community_id == community_id)
        .order_by(definition_table.c.id)
    )
    return (await session.execute(query)).all()


async def get_definition(session: AsyncSession, *, community_id: str, badge_id: str) -> Any:
    query = select(definition_table).where(
        definition_table.c.community_id == community_id, definition_table.c.id == badge_id
    )
    return (await session.execute(query)).one_or_none()


async def award(
    session: AsyncSession, *, community_id: str, member_id: str, badge: str, at: datetime
) -> bool:
    """Give the member the badge unless they hold it: whether it was given now."""
    values = {"community_id": community_id, "member_id": member_id, "badge": badge}
    return await insert_if_absent(session, badge_table, {**values, "awarded_at": at})


async def revoke(session: AsyncSession, *, community_id: str, member_id: str, badge: str) -> bool:
    result = await session.execute(
        delete(badge_table).where(
            badge_table.c.community_id == community_id,
            badge_table.c.member_id == member_id,
            badge_table.c.badge == badge,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
