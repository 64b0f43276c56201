"""The engagement queries: a member's score row, name, per-type breakdown and engagement rank."""

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.engagement import rules
from services.scoring.leaderboards import rules as leaderboards_rules
from services.scoring.ledger import repository as ledger_repository
from services.scoring.tables import (
    MemberScore,
    key_bucket_table,
    profile_table,
    score_table,
    type_table,
)


async def get_member_score(
    session: AsyncSession, *, community_id: str, member_id: str
) -> MemberScore | None:
    return await session.get(MemberScore, (community_id, member_id))


async def get_display_name(
    session: AsyncSession, *, community_id: str, member_id: str
) -> str | None:
    """The member's display name; None if the membership projection does not know them."""
    query = select(profile_table.c.display_name).where(
        profile_table.c.community_id == community_id, profile_table.c.member_id == member_id
    )
    name: str | None = (await session.execute(query)).scalar_one_or_none()
    return name


async def get_joined_at(
    session: AsyncSession, *, community_id: str, member_id: str
) -> datetime | None:
    """When the member joined, as the membership projection has it (None: not known yet)."""
    query = select(profile_table.c.joined_at).where(
        profile_table.c.community_id == community_id, profile_table.c.member_id == member_id
    )
    joined_at: datetime | None = (await session.execute(query)).scalar_one_or_none()
    return joined_at


async def engagement_rank(
    session: AsyncSession, *, community_id: str, member_id: str, key: float
) -> int:
    """Rank by the decaying engagement score, one statement: those ahead are the members with
    a higher key and those with an equal one and a smaller member id. Higher keys outside the
    member's bucket are the sums of the buckets above it (leaderboards/rules.py), so the cost is
    bounded by the bucket, not by the rank."""
    base = score_table.c.community_id == community_id
    buckets = [key_bucket_table.c.community_id == community_id]
    bucket = leaderboards_rules.key_bucket_of(key)
    # No score: everyone with one is ahead, and all of them are in buckets.
    higher: Any = 0
    if bucket is not None:
        buckets.append(key_bucket_table.c.bucket > bucket)
        higher_keys = [score_table.c.engagement_key > key]
        high = leaderboards_rules.key_bucket_bounds(bucket)[1]
        if high != math.inf:
            higher_keys.append(score_table.c.engagement_key < high)
        higher = (
            select(func.count())
            .select_from(score_table)
            .where(base, *higher_keys)
            .scalar_subquery()
        )
    above = (
        select(func.coalesce(func.sum(key_bucket_table.c.members), 0))
        .where(*buckets)
        .scalar_subquery()
    )
    tied = (
        select(func.count())
        .select_from(score_table)
        .where(base, score_table.c.engagement_key == key, score_table.c.member_id < member_id)
        .scalar_subquery()
    )
    return int((await session.execute(select(above + higher + tied))).scalar_one()) + 1


async def recount_engagement_buckets(session: AsyncSession, *, community_id: str) -> None:
    """Count a community's engagement buckets again from its members' keys (after a re-key
    moved them all). The old counts go first: on PostgreSQL that waits for a batch that moved
    members between them, so the keys read next include its; a batch's members added after
    the read land on the new counts, which are added to, not replaced."""
    await session.execute(
        delete(key_bucket_table).where(key_bucket_table.c.community_id == community_id)
    )
    keys = await session.execute(
        select(score_table.c.engagement_key).where(
            score_table.c.community_id == community_id,
            score_table.c.engagement_key > rules.NO_SCORE,
        )
    )
    await ledger_repository.add_to_engagement_buckets(
        session,
        leaderboards_rules.key_bucket_changes(
            (community_id, rules.NO_SCORE, key) for key in keys.scalars()
        ),
    )


async def type_stats(session: AsyncSession, *, community_id: str, member_id: str) -> Sequence[Any]:
    query = (
        select(type_table)
        .where(type_table.c.community_id == community_id, type_table.c.member_id == member_id)
        .order_by(type_table.c.activity_type)
    )
    return (await session.execute(query)).all()
