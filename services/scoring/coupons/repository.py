"""Coupon batches' queries. A code is taken by a conditional UPDATE of one free row, after the
redemption took the reward's stock (which locks the reward's row until the commit): two
redemptions of one reward take codes one after the other, never the same one."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.coupons.rules import chunks
from services.scoring.tables import coupon_batch_table, coupon_table, reward_table


async def make_coupon_backed(session: AsyncSession, *, reward_id: str, added: int) -> bool:
    """Add `added` codes to a reward's stock, making it coupon-backed, unless it has a stock
    counted by hand (or redemptions of one): whether it did. Locks the reward's row first, as
    a redemption does, so the two never wait on each other in a cycle."""
    plain = (reward_table.c.stock == 0) & (reward_table.c.redeemed == 0)
    result = await session.execute(
        update(reward_table)
        .where(reward_table.c.id == reward_id, reward_table.c.coupon_backed | plain)
        .values(coupon_backed=True, stock=reward_table.c.stock + added)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def codes_taken(session: AsyncSession, *, reward_id: str, codes: Sequence[str]) -> set[str]:
    taken: set[str] = set()
    for part in chunks(codes):
        result = await session.execute(
            select(coupon_table.c.code).where(
                coupon_table.c.reward_id == reward_id, coupon_table.c.code.in_(part)
            )
        )
        taken.update(result.scalars().all())
    return taken


async def add_batch(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(coupon_batch_table).values(**values))


async def add_coupons(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 1000):
        await session.execute(insert(coupon_table), rows[start : start + 1000])


async def take_coupon(
    session: AsyncSession, *, reward_id: str, redemption_id: str, at: datetime
) -> str | None:
    """Hand the first free code of the reward to the redemption, or None if none is free."""
    free = (
        select(coupon_table.c.id)
        .where(coupon_table.c.reward_id == reward_id, coupon_table.c.redemption_id.is_(None))
        .order_by(coupon_table.c.id)
        .limit(1)
        .scalar_subquery()
    )
    result = await session.execute(
        update(coupon_table)
        .where(coupon_table.c.id == free, coupon_table.c.redemption_id.is_(None))
        .values(redemption_id=redemption_id, issued_at=at)
        .returning(coupon_table.c.code)
    )
    code: str | None = result.scalar_one_or_none()
    return code


async def get_batch(
    session: AsyncSession, *, community_id: str, reward_id: str, batch_id: str
) -> RowMapping | None:
    result = await session.execute(
        select(coupon_batch_table).where(
            coupon_batch_table.c.community_id == community_id,
            coupon_batch_table.c.reward_id == reward_id,
            coupon_batch_table.c.id == batch_id,
        )
    )
    return result.mappings().one_or_none()


async def list_batches(
    session: AsyncSession, *, community_id: str, reward_id: str
) -> list[RowMapping]:
    result = await session.execute(
        select(coupon_batch_table)
        .where(
            coupon_batch_table.c.community_id == community_id,
            coupon_batch_table.c.reward_id == reward_id,
        )
        .order_by(coupon_batch_table.c.id)
    )
    return list(result.mappings().all())


async def batch_codes(session: AsyncSession, *, batch_id: str) -> list[RowMapping]:
    result = await session.execute(
        select(coupon_table.c.code, coupon_table.c.redemption_id, coupon_table.c.issued_at)
        .where(coupon_table.c.batch_id == batch_id)
        .order_by(coupon_table.c.id)
    )
    return list(result.mappings().all())


async def free_codes(session: AsyncSession, *, reward_id: str) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(coupon_table)
        .where(coupon_table.c.reward_id == reward_id, coupon_table.c.redemption_id.is_(None))
    )
    return int(result.scalar_one())
