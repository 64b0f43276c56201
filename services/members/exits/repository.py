"""Queries of exit reasons."""

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import MemberExit


async def add(session: AsyncSession, row: MemberExit) -> None:
    session.add(row)
    await session.flush()


async def exits(
    session: AsyncSession,
    *,
    community_id: str,
    reason: str | None,
    after_id: str | None,
    limit: int,
) -> Sequence[MemberExit]:
    query = (
        select(MemberExit)
        .where(col(MemberExit.community_id) == community_id)
        .order_by(col(MemberExit.id))
        .limit(limit)
    )
    if reason is not None:
        query = query.where(col(MemberExit.reason) == reason)
    if after_id is not None:
        query = query.where(col(MemberExit.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def counts(session: AsyncSession, community_id: str) -> dict[str, int]:
    query = (
        select(col(MemberExit.reason), func.count())
        .where(col(MemberExit.community_id) == community_id)
        .group_by(col(MemberExit.reason))
    )
    return {str(reason): int(n) for reason, n in (await session.execute(query)).all()}


async def clear_texts(session: AsyncSession, member_ids: Sequence[str]) -> None:
    """Erasure: the member's own words go; the reason stays, naming nobody."""
    if member_ids:
        query = (
            update(MemberExit)
            .where(col(MemberExit.member_id).in_(list(member_ids)))
            .values(text=None)
        )
        await session.execute(query.execution_options(synchronize_session=False))
