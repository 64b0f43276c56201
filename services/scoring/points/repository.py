"""The points' queries: the balance's conditional update, levels and the adjustments' log."""

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.scoring.ledger import repository as ledger_repository
from services.scoring.tables import adjustment_table, score_table


def new_score_row(
    community_id: str, member_id: str, half_life_days: float = 14.0
) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "member_id": member_id,
        "score_milli": 0,
        "activity_count": 0,
        "last_active_at": None,
        "engagement_key": -1.0e300,
        "half_life_days": half_life_days,
        "points_milli": 0,
        "level_milli": 0,
        "level": 1,
        "segment": "silent",
        "was_top_quarter": False,
    }


async def change_balance(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: str,
    delta_milli: int,
    half_life_days: float,
    earned: bool = True,
) -> tuple[int, int] | None:
    """Add `delta_milli` to the balance unless it would go below zero: one conditional
    UPDATE, so concurrent redemptions cannot overdraw. A positive delta that is `earned` also
    counts towards the level. The new balance and the stored level, or None if refused."""
    await insert_if_absent(
        session, score_table, new_score_row(community_id, member_id, half_life_days)
    )
    balance = score_table.c.points_milli
    level_points = score_table.c.level_milli
    result = await session.execute(
        update(score_table)
        .where(
            score_table.c.community_id == community_id,
            score_table.c.member_id == member_id,
            balance + delta_milli >= 0,
        )
        .values(
            points_milli=balance + delta_milli,
            level_milli=level_points + (max(delta_milli, 0) if earned else 0),
        )
        .returning(score_table.c.points_milli, score_table.c.level)
    )
    row = result.one_or_none()
    return None if row is None else (int(row[0]), int(row[1]))


async def set_level(
    session: AsyncSession, *, community_id: str, member_id: str, level: int
) -> None:
    await session.execute(
        update(score_table)
        .where(score_table.c.community_id == community_id, score_table.c.member_id == member_id)
        .values(level=level)
    )


async def add_adjustment(session: AsyncSession, values: dict[str, Any]) -> None:
    await ledger_repository.insert_rows(session, adjustment_table, [values])
