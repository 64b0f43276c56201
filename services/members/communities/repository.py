"""Queries on communities."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.members.tables import Community


async def get_community(session: AsyncSession, community_id: str) -> Community | None:
    return await session.get(Community, community_id)


async def list_communities(
    session: AsyncSession, *, after_id: str | None, limit: int
) -> Sequence[Community]:
    query = select(Community).order_by(col(Community.id)).limit(limit)
    if after_id is not None:
        query = query.where(col(Community.id) > after_id)
    return (await session.execute(query)).scalars().all()
