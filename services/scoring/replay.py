"""Rebuild every score from the ledger: `python -m services.scoring.replay [--check]`.

The ledger is the log of everything scoring was told, in the order it applied it (`seq` per
community), with what the rules made of each activity then (credited points or capped or
cooled down, the half-life, the member's tier and the local day). Folding it again with the
same code the consumer runs (`domain.ledger.fold_entry`), plus the points adjustments and
half-life changes, rebuilds member scores, engagement keys, points, levels, the per-type
breakdown, every leaderboard, the rank buckets and the daily tallies — identically. `--check`
compares the rebuild with what is stored and writes nothing; without it the derived tables are
replaced.
Badges, segments and period closes are records of what was announced and are kept.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import create_engine, session_factory
from services.scoring.domain import rules
from services.scoring.domain.ledger import Fold, LedgerRow, ScoreState, fold_entry
from services.scoring.settings import ScoringSettings
from services.scoring.storage import batches, ranks
from services.scoring.storage.repository import (
    adjustment_table,
    half_life_table,
    ledger_table,
    rules_table,
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
    tables = (ledger_table, adjustment_table, batches.score_table)
    found: set[str] = set()
    for table in tables:
        found.update((await session.execute(select(table.c.community_id).distinct())).scalars())
    return sorted(found)


async def rebuild_community(session: AsyncSession, community_id: str) -> Fold:
    """The fold of a community's whole ledger, adjustments and half-life changes."""
    fold = Fold()
    current = (
        await session.execute(
            select(rules_table.c.half_life_days).where(rules_table.c.community_id == community_id)
        )
    ).scalar_one_or_none()
    community_half_life = float(current) if current is not None else rules.DEFAULT_HALF_LIFE_DAYS
    changes = (
        await session.execute(
            select(half_life_table)
            .where(half_life_table.c.community_id == community_id)
            .order_by(half_life_table.c.changed_at)
        )
    ).all()
    applied: dict[str, int] = {}  # member → how many of `changes` their key has been through

    def catch_up(state: ScoreState, member_id: str, until: Any) -> None:
        position = applied[member_id]
        while position < len(changes) and (until is None or changes[position].changed_at <= until):
            change = changes[position]
            state.engagement_key = rules.rekey(
                state.engagement_key, change.changed_at, change.from_days, change.to_days
            )
            state.half_life_days = change.to_days
            position += 1
        applied[member_id] = position

    query = (
        select(ledger_table)
        .where(ledger_table.c.community_id == community_id)
        .order_by(ledger_table.c.seq, ledger_table.c.id)
    )
    for row in (await session.execute(query)).all():
        entry = LedgerRow(**{column: row._mapping[column] for column in LEDGER_COLUMNS})
        key = (community_id, entry.member_id)
        state = fold.scores.get(key)
        if state is None:
            state = fold.scores[key] = ScoreState(
                community_id, entry.member_id, half_life_days=entry.half_life_days
            )
            # Changes before the member's first entry were in force when it was scored.
            applied[entry.member_id] = sum(
                1 for change in changes if change.changed_at <= entry.recorded_at
            )
        else:
            catch_up(state, entry.member_id, entry.recorded_at)
        fold_entry(fold, entry, announce=False)
    for (_, member_id), state in fold.scores.items():
        catch_up(state, member_id, None)
    adjustments = (
        await session.execute(
            select(adjustment_table.c.member_id, adjustment_table.c.delta_milli).where(
                adjustment_table.c.community_id == community_id
            )
        )
    ).all()
    for member_id, delta in adjustments:
        state = fold.scores.get((community_id, member_id))
        if state is None:
            state = fold.scores[(community_id, member_id)] = ScoreState(
                community_id, member_id, half_life_days=community_half_life
            )
        state.touched = True
        state.points_milli += delta
        state.added_points_milli += delta
        state.level_milli += max(delta, 0)
        state.added_level_milli += max(delta, 0)
        state.level = max(state.level, rules.level_for(state.level_milli))
    return fold


LEDGER_COLUMNS = tuple(LedgerRow.__dataclass_fields__)


def fold_snapshot(fold: Fold) -> Snapshot:
    """What a fold says the derived tables hold, in the shape `stored_snapshot` reads them."""
    scores = {
        key: tuple(getattr(state, name) for name in DERIVED_SCORE_COLUMNS)
        for key, state in fold.scores.items()
    }
    types = {
        key: tuple(getattr(state, name) for name in batches.TYPE_COLUMNS)
        for key, state in fold.types.items()
    }
    boards = {key: (value,) for key, value in fold.board_added.items()}
    buckets = {
        key: (members,) for key, members in ranks.buckets_of_boards(fold.board_added).items()
    }
    key_buckets = {
        key: (members,)
        for key, members in ranks.key_bucket_changes(
            (state.community_id, rules.NO_SCORE, state.engagement_key)
            for state in fold.scores.values()
        ).items()
    }
    active = dict.fromkeys(fold.daily_active, ())
    counts = {key: (value,) for key, value in fold.daily_counts.items()}
    return {
        "scores": scores,
        "types": types,
        "boards": boards,
        "buckets": buckets,
        "engagement_buckets": key_buckets,
        "active": active,
        "counts": counts,
    }


# What `stored_snapshot` reads: per derived table, its key columns and its value columns.
STORED: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "scores": (batches.score_table, ("community_id", "member_id"), DERIVED_SCORE_COLUMNS),
    "types": (
        batches.type_table,
        ("community_id", "member_id", "activity_type"),
        batches.TYPE_COLUMNS,
    ),
    "boards": (
        batches.board_table,
        ("community_id", "period", "period_start", "scope", "member_id"),
        ("score_milli",),
    ),
    "buckets": (
        batches.bucket_table,
        ("community_id", "period", "period_start", "scope", "bucket"),
        ("members",),
    ),
    "engagement_buckets": (batches.key_bucket_table, ("community_id", "bucket"), ("members",)),
    "active": (batches.daily_active_table, ("community_id", "day", "member_id"), ()),
    "counts": (batches.daily_count_table, ("community_id", "day", "activity_type"), ("count",)),
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
        snapshot[name] = read
    return snapshot


def differences(stored: Snapshot, rebuilt: Snapshot) -> list[str]:
    found: list[str] = []
    for table, rows in rebuilt.items():
        for key in sorted(set(rows) | set(stored[table]), key=repr):
            if stored[table].get(key) != rows.get(key):
                found.append(
                    f"{table} {key}: stored {stored[table].get(key)} rebuilt {rows.get(key)}"
                )
    return found


async def replace_derived(session: AsyncSession, community_id: str, fold: Fold) -> None:
    """Replace a community's derived rows with the rebuild (segments and top-quarter flags
    are kept: they record what was announced)."""
    kept = {
        row.member_id: (row.segment, row.was_top_quarter)
        for row in await session.execute(
            select(
                batches.score_table.c.member_id,
                batches.score_table.c.segment,
                batches.score_table.c.was_top_quarter,
            ).where(batches.score_table.c.community_id == community_id)
        )
    }
    for (_, member_id), state in fold.scores.items():
        state.touched = True
        state.segment, state.was_top_quarter = kept.get(member_id, ("silent", False))
    for table in (
        batches.score_table,
        batches.type_table,
        batches.board_table,
        batches.bucket_table,
        batches.key_bucket_table,
        batches.daily_active_table,
        batches.daily_count_table,
    ):
        await session.execute(delete(table).where(table.c.community_id == community_id))
    fold.new_badges.clear()
    await batches.write_fold(session, fold, [])


async def replay(database_url: str, *, check: bool) -> list[str]:
    """Rebuild every community's scores; the differences from what was stored."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    found: list[str] = []
    try:
        async with sessions() as session:
            communities = await communities_in_ledger(session)
        for community_id in communities:
            async with sessions() as session:
                fold = await rebuild_community(session, community_id)
                found += differences(
                    await stored_snapshot(session, community_id), fold_snapshot(fold)
                )
                if not check:
                    await replace_derived(session, community_id, fold)
                    await session.commit()
    finally:
        await engine.dispose()
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None, help="default: SCORING_DATABASE_URL")
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    options = parser.parse_args(argv)
    url = options.database_url or ScoringSettings().resolved_database_url()
    found = asyncio.run(replay(url, check=options.check))
    for line in found[:50]:
        print(line)
    print(f"{len(found)} differences" + ("" if options.check else "; derived tables rebuilt"))
    return 1 if found and options.check else 0


if __name__ == "__main__":
    sys.exit(main())
