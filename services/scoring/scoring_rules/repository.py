"""The scoring rules' queries, and the re-key a new half-life makes."""

from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.engagement import rules as engagement_rules
from services.scoring.engagement.repository import recount_engagement_buckets
from services.scoring.ledger import repository as ledger_repository
from services.scoring.tables import half_life_table, rules_table, score_table


async def get_rules_row(session: AsyncSession, community_id: str) -> Any:
    query = select(rules_table).where(rules_table.c.community_id == community_id)
    return (await session.execute(query.with_for_update())).first()


async def get_rules_row_for_read(session: AsyncSession, community_id: str) -> Any:
    query = select(rules_table).where(rules_table.c.community_id == community_id)
    return (await session.execute(query)).first()


async def save_rules(session: AsyncSession, values: dict[str, Any]) -> None:
    await ledger_repository.upsert(
        session,
        rules_table,
        [values],
        keys=("community_id",),
        replace=("weights", "cooldown_seconds", "daily_cap", "half_life_days", "updated_at"),
    )


async def rekey_community(
    session: AsyncSession, *, community_id: str, at: datetime, old: float, new: float
) -> None:
    """Move every member's engagement key to a new half-life, scores unchanged at `at`: one
    UPDATE when the rule changes, never a nightly rewrite; the arithmetic is
    `engagement_rules.rekey`'s, term for term, so a replay computes the same keys. The keys all
    move, so the community's engagement buckets are counted again."""
    old_term, new_term = engagement_rules.rekey_terms(at, old, new)
    key = score_table.c.engagement_key
    await session.execute(
        update(score_table)
        .where(score_table.c.community_id == community_id, key > engagement_rules.NO_SCORE)
        .values(engagement_key=key - literal(old_term) + literal(new_term))
    )
    await session.execute(
        update(score_table)
        .where(score_table.c.community_id == community_id)
        .values(half_life_days=new)
    )
    await recount_engagement_buckets(session, community_id=community_id)
    await ledger_repository.insert_rows(
        session,
        half_life_table,
        [{"community_id": community_id, "changed_at": at, "from_days": old, "to_days": new}],
    )
