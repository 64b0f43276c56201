"""The points mall's queries. Stock and per-member counts move by conditional UPDATEs (never
read, then written), so concurrent redemptions cannot oversell or exceed a limit."""

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.scoring.rewards.rules import ACTIVE, CANCELLED, REDEEMED
from services.scoring.tables import claim_table, membership, redemption_table, reward_table


async def add_reward(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(reward_table).values(**values))


async def get_reward(
    session: AsyncSession, *, community_id: str, reward_id: str
) -> RowMapping | None:
    result = await session.execute(
        select(reward_table).where(
            reward_table.c.community_id == community_id, reward_table.c.id == reward_id
        )
    )
    return result.mappings().one_or_none()


async def list_rewards(
    session: AsyncSession,
    *,
    community_id: str,
    include_withdrawn: bool,
    after_id: str | None,
    limit: int,
) -> list[RowMapping]:
    query = select(reward_table).where(reward_table.c.community_id == community_id)
    if not include_withdrawn:
        query = query.where(reward_table.c.status == ACTIVE)
    if after_id is not None:
        query = query.where(reward_table.c.id > after_id)
    result = await session.execute(query.order_by(reward_table.c.id).limit(limit))
    return list(result.mappings().all())


async def update_reward(
    session: AsyncSession, *, community_id: str, reward_id: str, values: dict[str, Any]
) -> RowMapping | None:
    result = await session.execute(
        update(reward_table)
        .where(reward_table.c.community_id == community_id, reward_table.c.id == reward_id)
        .values(**values)
        .returning(*reward_table.c)
    )
    return result.mappings().one_or_none()


async def take_stock(session: AsyncSession, *, reward_id: str) -> RowMapping | None:
    """One item off an active reward's stock if any is left: the stock left and the price and
    name as they stand under the row's lock, or None."""
    result = await session.execute(
        update(reward_table)
        .where(
            reward_table.c.id == reward_id,
            reward_table.c.status == ACTIVE,
            reward_table.c.stock > 0,
        )
        .values(stock=reward_table.c.stock - 1, redeemed=reward_table.c.redeemed + 1)
        .returning(
            reward_table.c.stock,
            reward_table.c.price_milli,
            reward_table.c.name,
            reward_table.c.coupon_backed,
        )
    )
    return result.mappings().one_or_none()


async def return_stock(session: AsyncSession, *, reward_id: str) -> None:
    """One item back to the stock; none to a coupon-backed reward, whose code was shown."""
    await session.execute(
        update(reward_table)
        .where(reward_table.c.id == reward_id, reward_table.c.coupon_backed.is_(False))
        .values(stock=reward_table.c.stock + 1, redeemed=reward_table.c.redeemed - 1)
    )


async def take_claim(
    session: AsyncSession, *, reward_id: str, member_id: str, limit: int | None
) -> bool:
    """Count one more redemption of the reward by the member, unless they hold `limit`."""
    await insert_if_absent(
        session, claim_table, {"reward_id": reward_id, "member_id": member_id, "count": 0}
    )
    query = update(claim_table).where(
        claim_table.c.reward_id == reward_id, claim_table.c.member_id == member_id
    )
    if limit is not None:
        query = query.where(claim_table.c.count < limit)
    result = await session.execute(query.values(count=claim_table.c.count + 1))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def return_claim(session: AsyncSession, *, reward_id: str, member_id: str) -> None:
    await session.execute(
        update(claim_table)
        .where(claim_table.c.reward_id == reward_id, claim_table.c.member_id == member_id)
        .values(count=claim_table.c.count - 1)
    )


async def add_redemption(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(redemption_table).values(**values))


async def get_redemption(
    session: AsyncSession, *, community_id: str, redemption_id: str
) -> RowMapping | None:
    result = await session.execute(
        select(redemption_table).where(
            redemption_table.c.community_id == community_id,
            redemption_table.c.id == redemption_id,
        )
    )
    return result.mappings().one_or_none()


async def cancel_redemption(
    session: AsyncSession, *, redemption_id: str, values: dict[str, Any]
) -> RowMapping | None:
    """Mark a redeemed redemption cancelled, once: None if it was cancelled already."""
    result = await session.execute(
        update(redemption_table)
        .where(redemption_table.c.id == redemption_id, redemption_table.c.status == REDEEMED)
        .values(status=CANCELLED, **values)
        .returning(*redemption_table.c)
    )
    return result.mappings().one_or_none()


async def member_redemptions(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: str,
    after_id: str | None,
    limit: int,
) -> list[RowMapping]:
    query = select(redemption_table).where(
        redemption_table.c.community_id == community_id,
        redemption_table.c.member_id == member_id,
    )
    if after_id is not None:
        query = query.where(redemption_table.c.id > after_id)
    result = await session.execute(query.order_by(redemption_table.c.id).limit(limit))
    return list(result.mappings().all())


async def member_standing(
    session: AsyncSession, *, community_id: str, member_id: str
) -> RowMapping | None:
    """The member's status and tier in the membership projection."""
    table = membership.membership
    result = await session.execute(
        select(table.c.status, table.c.tier_id).where(
            table.c.community_id == community_id, table.c.member_id == member_id
        )
    )
    return result.mappings().one_or_none()
