"""Queries of welcome templates."""

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import Tier, TierWelcome, WelcomeSettings


async def settings_of(session: AsyncSession, community_id: str) -> WelcomeSettings | None:
    return await session.get(WelcomeSettings, community_id)


async def save_settings(session: AsyncSession, row: WelcomeSettings) -> None:
    await session.merge(row)


async def clear_settings(session: AsyncSession, community_id: str) -> None:
    query = delete(WelcomeSettings).where(col(WelcomeSettings.community_id) == community_id)
    await session.execute(query.execution_options(synchronize_session=False))


async def tier_templates(session: AsyncSession, community_id: str) -> Sequence[TierWelcome]:
    """The tiers' own templates, of tiers that still exist, by rank (a deleted tier's row is
    left behind harmlessly: nobody is seated there)."""
    query = (
        select(TierWelcome)
        .join(Tier, col(Tier.id) == col(TierWelcome.tier_id))
        .where(col(TierWelcome.community_id) == community_id)
        .order_by(col(Tier.rank))
    )
    return (await session.execute(query)).scalars().all()


async def tier_template(session: AsyncSession, tier_id: str) -> TierWelcome | None:
    return await session.get(TierWelcome, tier_id)


async def save_tier_template(session: AsyncSession, row: TierWelcome) -> None:
    await session.merge(row)


async def clear_tier_template(session: AsyncSession, tier_id: str) -> None:
    query = delete(TierWelcome).where(col(TierWelcome.tier_id) == tier_id)
    await session.execute(query.execution_options(synchronize_session=False))
