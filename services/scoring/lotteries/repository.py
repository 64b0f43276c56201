"""Community lotteries' queries: the pools scoring holds itself, and the lotteries."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.membership.tables import BELONGING_STATUSES
from services.scoring.lotteries.rules import LotteryStatus
from services.scoring.tables import (
    community_lottery_table,
    daily_active_table,
    membership,
    score_table,
)


def _belonging(community_id: str) -> Any:
    projection = membership.membership
    return select(projection.c.member_id).where(
        projection.c.community_id == community_id,
        projection.c.status.in_(BELONGING_STATUSES),
    )


async def active_members(
    session: AsyncSession, *, community_id: str, from_on: date, to_on: date
) -> list[str]:
    table = daily_active_table
    result = await session.execute(
        select(table.c.member_id)
        .distinct()
        .where(
            table.c.community_id == community_id,
            table.c.day >= from_on.isoformat(),
            table.c.day <= to_on.isoformat(),
            table.c.member_id.in_(_belonging(community_id)),
        )
    )
    return sorted(result.scalars().all())


async def segment_members(session: AsyncSession, *, community_id: str, segment: str) -> list[str]:
    result = await session.execute(
        select(score_table.c.member_id).where(
            score_table.c.community_id == community_id,
            score_table.c.segment == segment,
            score_table.c.member_id.in_(_belonging(community_id)),
        )
    )
    return sorted(result.scalars().all())


async def tier_members(session: AsyncSession, *, community_id: str, tier_id: str) -> list[str]:
    projection = membership.membership
    result = await session.execute(
        select(projection.c.member_id).where(
            projection.c.community_id == community_id,
            projection.c.tier_id == tier_id,
            projection.c.status.in_(BELONGING_STATUSES),
        )
    )
    return sorted(result.scalars().all())


async def tier_elsewhere(session: AsyncSession, *, community_id: str, tier_id: str) -> bool:
    projection = membership.membership
    result = await session.execute(
        select(projection.c.community_id)
        .where(projection.c.tier_id == tier_id, projection.c.community_id != community_id)
        .limit(1)
    )
    return result.first() is not None


async def add_lottery(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(community_lottery_table).values(**values))


async def get_lottery(
    session: AsyncSession, *, community_id: str, lottery_id: str
) -> RowMapping | None:
    result = await session.execute(
        select(community_lottery_table).where(
            community_lottery_table.c.community_id == community_id,
            community_lottery_table.c.id == lottery_id,
        )
    )
    return result.mappings().one_or_none()


async def list_lotteries(
    session: AsyncSession, *, community_id: str, after_id: str | None, limit: int
) -> list[RowMapping]:
    query = select(community_lottery_table).where(
        community_lottery_table.c.community_id == community_id
    )
    if after_id is not None:
        query = query.where(community_lottery_table.c.id > after_id)
    result = await session.execute(query.order_by(community_lottery_table.c.id).limit(limit))
    return list(result.mappings().all())


async def mark_drawn(
    session: AsyncSession, *, lottery_id: str, winners: list[str], at: datetime
) -> RowMapping | None:
    """Record the draw once: None when it was drawn already (a concurrent draw won)."""
    result = await session.execute(
        update(community_lottery_table)
        .where(
            community_lottery_table.c.id == lottery_id,
            community_lottery_table.c.status == LotteryStatus.COMMITTED.value,
        )
        .values(status=LotteryStatus.DRAWN.value, winners=winners, drawn_at=at)
        .returning(*community_lottery_table.c)
    )
    return result.mappings().one_or_none()
