"""Queries on tiers."""

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.members.tables import Membership, Tier, TierChange

# A pending member holds a seat: approving them must never overfill a tier.
SEATED_STATUSES = ("pending", "active", "muted")


async def list_tiers(session: AsyncSession, community_id: str) -> Sequence[Tier]:
    query = select(Tier).where(Tier.community_id == community_id).order_by(col(Tier.rank))
    return (await session.execute(query)).scalars().all()


async def lock_for_seating(
    session: AsyncSession, *, community_id: str, tier_id: str | None
) -> Sequence[tuple[str, int]]:
    """(id, capacity) of the community's tiers by rank, or of the one tier `tier_id`, locked on
    PostgreSQL until the commit (on SQLite the write transaction, begun IMMEDIATE, already holds
    the database's write lock). Plain columns: this is on every join's path."""
    query = (
        select(col(Tier.id), col(Tier.capacity))
        .where(Tier.community_id == community_id)
        .order_by(col(Tier.rank))
        .with_for_update()
    )
    if tier_id is not None:
        query = query.where(Tier.id == tier_id)
    return [(tier_id, capacity) for tier_id, capacity in (await session.execute(query)).all()]


async def get_tier(session: AsyncSession, *, community_id: str, tier_id: str) -> Tier | None:
    query = select(Tier).where(Tier.id == tier_id, Tier.community_id == community_id)
    return (await session.execute(query)).scalars().first()


async def seat_counts(session: AsyncSession, tier_ids: Sequence[str]) -> dict[str, int]:
    """Seats taken in each tier."""
    if not tier_ids:
        return {}
    query = (
        select(Membership.tier_id, func.count())
        .where(col(Membership.tier_id).in_(tier_ids), col(Membership.status).in_(SEATED_STATUSES))
        .group_by(col(Membership.tier_id))
    )
    counts = dict.fromkeys(tier_ids, 0)
    for tier_id, count in (await session.execute(query)).all():
        if tier_id is not None:
            counts[tier_id] = count
    return counts


async def save_tier(session: AsyncSession, tier: Tier) -> bool:
    """Insert or update a tier; False if its rank or name is taken in the community."""
    try:
        async with session.begin_nested():
            session.add(tier)
        return True
    except IntegrityError:
        return False


async def delete_tier(session: AsyncSession, tier: Tier) -> None:
    await session.delete(tier)


async def tier_changes(
    session: AsyncSession, *, community_id: str, member_id: str
) -> Sequence[TierChange]:
    query = (
        select(TierChange)
        .where(TierChange.community_id == community_id, TierChange.member_id == member_id)
        .order_by(col(TierChange.changed_at).desc(), col(TierChange.id).desc())
        .limit(200)
    )
    return (await session.execute(query)).scalars().all()
