"""Rebuild every score from the ledger: `python -m services.scoring.replay [--check]`.

The ledger is the log of everything scoring was told, in the order it applied it (`seq` per
community), with what the rules made of each activity then (credited points or capped or
cooled down, the half-life, the member's tier and the local day). Folding it again with the
same code the consumer runs (`ledger.rules.fold_entry`), plus the points adjustments and
half-life changes, rebuilds member scores, engagement keys, points, levels, the per-type
breakdown, every leaderboard, the rank buckets and the daily tallies — identically. `--check`
compares the rebuild with what is stored and writes nothing; without it the derived tables are
replaced.
Badges, segments and period closes are records of what was announced and are kept.
"""

import argparse
import asyncio
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import create_engine, session_factory
from services.scoring.engagement import rules as engagement_rules
from services.scoring.leaderboards import rules as leaderboards_rules
from services.scoring.ledger import repository as ledger_repository
from services.scoring.ledger.rules import Fold, LedgerRow, ScoreState, fold_entry
from services.scoring.points import rules as points_rules
from services.scoring.replay import repository
from services.scoring.replay.repository import (
    DERIVED_SCORE_COLUMNS,
    Snapshot,
    communities_in_ledger,
    replace_derived,
    stored_snapshot,
)
from services.scoring.scoring_rules import rules as scoring_rules
from services.scoring.settings import ScoringSettings


async def rebuild_community(session: AsyncSession, community_id: str) -> Fold:
    """The fold of a community's whole ledger, adjustments and half-life changes."""
    fold = Fold()
    current = await repository.stored_half_life(session, community_id)
    community_half_life = (
        float(current) if current is not None else scoring_rules.DEFAULT_HALF_LIFE_DAYS
    )
    changes = await repository.half_life_changes(session, community_id)
    applied: dict[str, int] = {}  # member → how many of `changes` their key has been through

    def catch_up(state: ScoreState, member_id: str, until: Any) -> None:
        position = applied[member_id]
        while position < len(changes) and (until is None or changes[position].changed_at <= until):
            change = changes[position]
            state.engagement_key = engagement_rules.rekey(
                state.engagement_key, change.changed_at, change.from_days, change.to_days
            )
            state.half_life_days = change.to_days
            position += 1
        applied[member_id] = position

    for row in await repository.ledger_in_order(session, community_id):
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
    adjustments = await repository.points_adjustments(session, community_id)
    for member_id, delta, earned in adjustments:
        state = fold.scores.get((community_id, member_id))
        if state is None:
            state = fold.scores[(community_id, member_id)] = ScoreState(
                community_id, member_id, half_life_days=community_half_life
            )
        state.touched = True
        state.points_milli += delta
        state.added_points_milli += delta
        # A refund (not earned) gives back spent points and raises no level.
        level_delta = max(delta, 0) if earned else 0
        state.level_milli += level_delta
        state.added_level_milli += level_delta
        state.level = max(state.level, points_rules.level_for(state.level_milli))
    return fold


LEDGER_COLUMNS = tuple(LedgerRow.__dataclass_fields__)


def fold_snapshot(fold: Fold) -> Snapshot:
    """What a fold says the derived tables hold, in the shape `stored_snapshot` reads them."""
    scores = {
        key: tuple(getattr(state, name) for name in DERIVED_SCORE_COLUMNS)
        for key, state in fold.scores.items()
    }
    types = {
        key: tuple(getattr(state, name) for name in ledger_repository.TYPE_COLUMNS)
        for key, state in fold.types.items()
    }
    boards = {key: (value,) for key, value in fold.board_added.items()}
    buckets = {
        key: (members,)
        for key, members in leaderboards_rules.buckets_of_boards(fold.board_added).items()
    }
    key_buckets = {
        key: (members,)
        for key, members in leaderboards_rules.key_bucket_changes(
            (state.community_id, engagement_rules.NO_SCORE, state.engagement_key)
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


def _same(stored: tuple[Any, ...] | None, rebuilt: tuple[Any, ...] | None) -> bool:
    """Equal, engagement keys to rounding: a credit a late arrival retracted comes off a key
    by a subtraction, where the replay never added it (services/scoring/ledger/rules.py)."""
    if stored is None or rebuilt is None or len(stored) != len(rebuilt):
        return stored == rebuilt
    return all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(a, float) and isinstance(b, float)
        else a == b
        for a, b in zip(stored, rebuilt, strict=True)
    )


def differences(stored: Snapshot, rebuilt: Snapshot) -> list[str]:
    found: list[str] = []
    for table, rows in rebuilt.items():
        for key in sorted(set(rows) | set(stored[table]), key=repr):
            if not _same(stored[table].get(key), rows.get(key)):
                found.append(
                    f"{table} {key}: stored {stored[table].get(key)} rebuilt {rows.get(key)}"
                )
    return found


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
