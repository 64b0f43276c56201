"""Queries on sanctions and the ladder counters on a membership."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.members.tables import Membership, Sanction


async def count_warning(
    session: AsyncSession, *, member_id: str, statuses: Sequence[str]
) -> tuple[int, int] | None:
    """Add a warning to a member still in one of `statuses`; (warnings since the last mute,
    mutes so far) after it, or None if the member is no longer there. One UPDATE: the row lock
    it takes (or SQLite's write lock) makes concurrent warnings count one after the other."""
    query = (
        update(Membership)
        .where(col(Membership.id) == member_id, col(Membership.status).in_(list(statuses)))
        .values(warning_count=col(Membership.warning_count) + 1)
        .returning(col(Membership.warning_count), col(Membership.mute_count))
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def add(session: AsyncSession, sanction: Sanction) -> None:
    session.add(sanction)
    await session.flush()


async def history(
    session: AsyncSession, *, member_id: str, after_id: str | None, limit: int
) -> Sequence[Sanction]:
    query: Any = (
        select(Sanction)
        .where(Sanction.member_id == member_id)
        .order_by(col(Sanction.id))
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(col(Sanction.id) > after_id)
    return (await session.execute(query)).scalars().all()
