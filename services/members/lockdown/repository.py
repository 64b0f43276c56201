"""Queries of a community's lockdown."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import Lockdown


async def active(session: AsyncSession, community_id: str, now: datetime) -> Lockdown | None:
    """The lockdown holding now, if one does (one whose time ran out holds no more)."""
    row = await session.get(Lockdown, community_id)
    return row if row is not None and row.until > now else None


async def save(session: AsyncSession, row: Lockdown) -> None:
    await session.merge(row)


async def lift(session: AsyncSession, community_id: str) -> None:
    query = delete(Lockdown).where(col(Lockdown.community_id) == community_id)
    await session.execute(query.execution_options(synchronize_session=False))
