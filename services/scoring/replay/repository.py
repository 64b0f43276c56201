"""The replay's queries: the ledger in order, what is stored, and replacing derived rows."""

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.ledger import repository as ledger_repository
from services.scoring.ledger.rules import Fold
from services.scoring.points import repository as points_repository
from services.scoring.tables import (
    adjustment_table,
    board_table,
    bucket_table,
    daily_active_table,
    daily_count_table,
    half_life_table,
    key_bucket_table,
    ledger_table,
    rules_table,
    score_table,
    type_table,
)

Snapshot = dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]


DERIVED_SCORE_COLUMNS = (
    "score_milli",
    "activity_count",
    "last_active_at",
    "engagement_key",
    "half_life_days",
    "points_milli",
    "level_milli",
    "level",
)


async def communities_in_ledger(session: AsyncSession) -> list[str]:
    tables = (ledger_table, adjustment_table, score_table)
    found: set[str] = set()
    for table in tables:
        found.update((await session.execute(select(table.c.community_id).distinct())).scalars())
    return sorted(found)


# What `stored_snapshot` reads: per derived table, its key columns and its value columns.


async def stored_half_life(session: AsyncSession, community_id: str) -> float | None:
    """The community's half-life in its stored rules (None: the default)."""
    value: float | None = (
        await session.execute(
            select(rules_table.c.half_life_days).where(rules_table.c.community_id == community_id)
        )
    ).scalar_one_or_none()
    return value


async def half_life_changes(session: AsyncSession, community_id: str) -> list[Any]:
    """The community's half-life changes, oldest first."""
    return list(
        (
            await session.execute(
                select(half_life_table)
                .where(half_life_table.c.community_id == community_id)
                .order_by(half_life_table.c.changed_at)
            )
        ).all()
    )


async def ledger_in_order(session: AsyncSession, community_id: str) -> list[Any]:
    """The community's ledger in the order it was applied."""
    query = (
        select(ledger_table)
        .where(ledger_table.c.community_id == community_id)
        .order_by(ledger_table.c.seq, ledger_table.c.id)
    )
    return list((await session.execute(query)).all())


async def points_adjustments(session: AsyncSession, community_id: str) -> list[Any]:
    """(member id, delta in thousandths, earned) of every points adjustment in the community."""
    return list(
        (
            await session.execute(
                select(
                    adjustment_table.c.member_id,
                    adjustment_table.c.delta_milli,
                    adjustment_table.c.earned,
                ).where(adjustment_table.c.community_id == community_id)
            )
        ).all()
    )


STORED: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "scores": (score_table, ("community_id", "member_id"), DERIVED_SCORE_COLUMNS),
    "types": (
        type_table,
        ("community_id", "member_id", "activity_type"),
        ledger_repository.TYPE_COLUMNS,
    ),
    "boards": (
        board_table,
        ("community_id", "period", "period_start", "scope", "member_id"),
        ("score_milli",),
    ),
    "buckets": (
        bucket_table,
        ("community_id", "period", "period_start", "scope", "bucket"),
        ("members",),
    ),
    "engagement_buckets": (key_bucket_table, ("community_id", "bucket"), ("members",)),
    "active": (daily_active_table, ("community_id", "day", "member_id"), ()),
    "counts": (daily_count_table, ("community_id", "day", "activity_type"), ("count",)),
}


# A bucket emptied by members moving on is kept at 0; it holds nobody, as if absent.
COUNTED = frozenset({"buckets", "engagement_buckets"})


async def stored_snapshot(session: AsyncSession, community_id: str) -> Snapshot:
    snapshot: Snapshot = {}
    for name, (table, keys, values) in STORED.items():
        rows = await session.execute(select(table).where(table.c.community_id == community_id))
        read = {
            tuple(row._mapping[k] for k in keys): tuple(row._mapping[v] for v in values)
            for row in rows
        }
        if name in COUNTED:
            read = {key: value for key, value in read.items() if value != (0,)}
        if name == "scores":
            # A row holding nothing but a segment (a newcomer the ledger never scored, made on
            # joining by segments.service.mark_newcomers) is no derived score.
            read = {key: value for key, value in read.items() if not _empty_score(row_of=value)}
        snapshot[name] = read
    return snapshot


def _empty_score(*, row_of: tuple[Any, ...]) -> bool:
    values = dict(zip(DERIVED_SCORE_COLUMNS, row_of, strict=True))
    return (
        values["activity_count"] == 0
        and values["score_milli"] == 0
        and values["points_milli"] == 0
        and values["level_milli"] == 0
        and values["last_active_at"] is None
    )


async def replace_derived(session: AsyncSession, community_id: str, fold: Fold) -> None:
    """Replace a community's derived rows with the rebuild (segments and top-quarter flags
    are kept: they record what was announced)."""
    kept = {
        row.member_id: (row.segment, row.was_top_quarter)
        for row in await session.execute(
            select(
                score_table.c.member_id,
                score_table.c.segment,
                score_table.c.was_top_quarter,
            ).where(score_table.c.community_id == community_id)
        )
    }
    for (_, member_id), state in fold.scores.items():
        state.touched = True
        state.segment, state.was_top_quarter = kept.get(member_id, ("silent", False))
    for table in (
        score_table,
        type_table,
        board_table,
        bucket_table,
        key_bucket_table,
        daily_active_table,
        daily_count_table,
    ):
        await session.execute(delete(table).where(table.c.community_id == community_id))
    fold.new_badges.clear()
    await ledger_repository.write_fold(session, fold, [])
    # Newcomers the ledger never scored keep the row their join made, and so their segment.
    scored = {member_id for _, member_id in fold.scores}
    for member_id, (segment, _) in sorted(kept.items()):
        if member_id not in scored and segment == "newcomer":
            row = points_repository.new_score_row(community_id, member_id)
            row["segment"] = segment
            await session.execute(insert(score_table).values(**row))
