"""The badges' queries."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.tables import badge_table


async def member_badges(
    session: AsyncSession, *, community_id: str, member_id: str
) -> Sequence[Any]:
    query = (
        select(badge_table.c.badge, badge_table.c.awarded_at)
        .where(badge_table.c.community_id == community_id, badge_table.c.member_id == member_id)
        .order_by(badge_table.c.awarded_at, badge_table.c.badge)
    )
    return (await session.execute(query)).all()
