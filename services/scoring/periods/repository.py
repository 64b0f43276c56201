"""The period close's queries: communities and their timezones, and the claim of a closing."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.scoring.tables import close_table, community_table


async def get_community(session: AsyncSession, community_id: str) -> Any:
    query = select(community_table).where(community_table.c.id == community_id)
    return (await session.execute(query)).first()


async def all_communities(session: AsyncSession) -> Sequence[Any]:
    query = select(community_table.c.id, community_table.c.timezone, community_table.c.created_at)
    return (await session.execute(query)).all()


async def claim_period(
    session: AsyncSession, *, community_id: str, period: str, period_start: str, at: datetime
) -> bool:
    """Claim the closing of a period; False if it was closed (or is being closed) already."""
    return await insert_if_absent(
        session,
        close_table,
        {
            "community_id": community_id,
            "period": period,
            "period_start": period_start,
            "closed_at": at,
            "members_ranked": 0,
        },
    )


async def set_members_ranked(
    session: AsyncSession, *, community_id: str, period: str, period_start: str, count: int
) -> None:
    await session.execute(
        update(close_table)
        .where(
            close_table.c.community_id == community_id,
            close_table.c.period == period,
            close_table.c.period_start == period_start,
        )
        .values(members_ranked=count)
    )
