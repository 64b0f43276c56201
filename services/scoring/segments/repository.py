"""The segments' queries: members in engagement order, and their new segments."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.tables import profile_table, score_table


async def segment_rows(session: AsyncSession, *, community_id: str) -> list[Any]:
    """A community's members in engagement order, with their segment and membership status."""
    table, profile = score_table, profile_table
    query = (
        select(
            table.c.member_id,
            table.c.engagement_key,
            table.c.half_life_days,
            table.c.last_active_at,
            table.c.segment,
            table.c.was_top_quarter,
            profile.c.status,
            profile.c.joined_at,
        )
        .select_from(
            table.outerjoin(
                profile,
                (profile.c.community_id == table.c.community_id)
                & (profile.c.member_id == table.c.member_id),
            )
        )
        .where(table.c.community_id == community_id)
        .order_by(table.c.engagement_key.desc(), table.c.member_id.asc())
    )
    return list((await session.execute(query)).all())


async def save_segments(session: AsyncSession, updates: Sequence[dict[str, Any]]) -> None:
    """Set members' segments and top-quarter flags: one executemany of rows
    `{"c": community, "m": member, "segment": …, "top": …}`."""
    table = score_table
    statement = (
        update(table)
        .where(table.c.community_id == bindparam("c"), table.c.member_id == bindparam("m"))
        .values(segment=bindparam("segment"), was_top_quarter=bindparam("top"))
    )
    await session.execute(statement, list(updates))


async def segment_of(session: AsyncSession, *, community_id: str, member_id: str) -> Any:
    """A member's stored segment with what its score is computed from; None without a row."""
    query = select(
        score_table.c.segment,
        score_table.c.engagement_key,
        score_table.c.half_life_days,
        score_table.c.was_top_quarter,
    ).where(score_table.c.community_id == community_id, score_table.c.member_id == member_id)
    return (await session.execute(query)).first()
