"""Benefits' queries: tiers' own, and the copies of scoring's levels."""

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.members.tables import LevelBenefitCopy, MemberLevel, TierBenefit

tier_benefit_table: Any = TierBenefit.__table__  # type: ignore[attr-defined]
level_copy_table: Any = LevelBenefitCopy.__table__  # type: ignore[attr-defined]
member_level_table: Any = MemberLevel.__table__  # type: ignore[attr-defined]


async def _put(
    session: AsyncSession, table: Any, keys: dict[str, Any], values: dict[str, Any]
) -> None:
    if not await insert_if_absent(session, table, {**keys, **values}):
        await session.execute(
            update(table)
            .where(*(table.c[name] == value for name, value in keys.items()))
            .values(**values)
        )


async def set_tier_benefits(
    session: AsyncSession,
    *,
    community_id: str,
    tier_id: str,
    benefits: list[dict[str, Any]],
    by: str,
    at: datetime,
) -> None:
    await _put(
        session,
        tier_benefit_table,
        {"tier_id": tier_id},
        {"community_id": community_id, "benefits": benefits, "updated_by": by, "updated_at": at},
    )


async def tier_benefits(session: AsyncSession, *, tier_id: str) -> RowMapping | None:
    result = await session.execute(
        select(tier_benefit_table).where(tier_benefit_table.c.tier_id == tier_id)
    )
    return result.mappings().one_or_none()


async def copy_level_benefits(
    session: AsyncSession,
    *,
    community_id: str,
    level: int,
    benefits: list[dict[str, Any]],
    at: datetime,
) -> None:
    """Keep an announcement unless a later one is kept already (redelivery, reordering)."""
    row = {"community_id": community_id, "level": level, "benefits": benefits, "changed_at": at}
    if not await insert_if_absent(session, level_copy_table, row):
        await session.execute(
            update(level_copy_table)
            .where(
                level_copy_table.c.community_id == community_id,
                level_copy_table.c.level == level,
                level_copy_table.c.changed_at <= at,
            )
            .values(benefits=benefits, changed_at=at)
        )


async def level_benefits(session: AsyncSession, *, community_id: str, level: int) -> list[Any]:
    result = await session.execute(
        select(level_copy_table.c.benefits).where(
            level_copy_table.c.community_id == community_id, level_copy_table.c.level == level
        )
    )
    found = result.scalar_one_or_none()
    return list(found) if found else []


async def raise_level(
    session: AsyncSession, *, community_id: str, member_id: str, level: int, at: datetime
) -> None:
    """Levels only rise: a level below the one kept changes nothing."""
    row = {"community_id": community_id, "member_id": member_id, "level": level, "reached_at": at}
    if not await insert_if_absent(session, member_level_table, row):
        await session.execute(
            update(member_level_table)
            .where(
                member_level_table.c.community_id == community_id,
                member_level_table.c.member_id == member_id,
                member_level_table.c.level < level,
            )
            .values(level=level, reached_at=at)
        )


async def member_level(session: AsyncSession, *, community_id: str, member_id: str) -> int:
    result = await session.execute(
        select(member_level_table.c.level).where(
            member_level_table.c.community_id == community_id,
            member_level_table.c.member_id == member_id,
        )
    )
    found = result.scalar_one_or_none()
    return int(found) if found is not None else 1
