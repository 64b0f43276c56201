"""The pools' queries."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.common.membership.tables import BELONGING_STATUSES
from services.scoring.tables import membership, pool_member_table


async def add(
    session: AsyncSession,
    *,
    kind: str,
    source_id: str,
    member_id: str,
    community_id: str,
    at: datetime,
) -> None:
    await insert_if_absent(
        session,
        pool_member_table,
        {
            "kind": kind,
            "source_id": source_id,
            "member_id": member_id,
            "community_id": community_id,
            "at": at,
        },
    )


async def remove(session: AsyncSession, *, kind: str, source_id: str, member_id: str) -> None:
    await session.execute(
        delete(pool_member_table).where(
            pool_member_table.c.kind == kind,
            pool_member_table.c.source_id == source_id,
            pool_member_table.c.member_id == member_id,
        )
    )


async def members(
    session: AsyncSession, *, community_id: str, kind: str, source_id: str
) -> list[str]:
    """The pool's members who still belong to the community, sorted."""
    table, projection = pool_member_table, membership.membership
    result = await session.execute(
        select(table.c.member_id)
        .join(
            projection,
            (projection.c.community_id == table.c.community_id)
            & (projection.c.member_id == table.c.member_id),
        )
        .where(
            table.c.community_id == community_id,
            table.c.kind == kind,
            table.c.source_id == source_id,
            projection.c.status.in_(BELONGING_STATUSES),
        )
        .order_by(table.c.member_id)
    )
    return list(result.scalars().all())


async def other_community(session: AsyncSession, *, community_id: str, source_id: str) -> bool:
    """Whether the poll, challenge or event is known in another community."""
    result = await session.execute(
        select(pool_member_table.c.community_id)
        .where(
            pool_member_table.c.source_id == source_id,
            pool_member_table.c.community_id != community_id,
        )
        .limit(1)
    )
    return result.first() is not None
