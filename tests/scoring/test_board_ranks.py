"""Own ranks from score buckets (services/scoring/storage/ranks.py), on SQLite and PostgreSQL:
every member's rank equals the rank a sort of the whole board gives, ties included, as members
move between buckets batch after batch."""

import random
import uuid

from fastapi import FastAPI
from sqlalchemy import select

from services.common.components import SCORING
from services.scoring import tables
from services.scoring.leaderboards import repository
from services.scoring.leaderboards import rules as ranks
from services.scoring.ledger import repository as batches
from tests.support import rows_after_upgrade, service_client

BOARD_COLUMNS = ("community_id", "period", "period_start", "scope")


class Running:
    app: FastAPI | None = None


async def remember(app: FastAPI) -> None:
    Running.app = app


api = service_client(SCORING, prepare=remember, run_consumers=False, run_clockwork=False)


def test_buckets_are_contiguous_ordered_and_hold_their_scores() -> None:
    previous = 0
    for score in [*range(1, 70_000), *(2**k + d for k in range(17, 63) for d in (-1, 0, 1))]:
        bucket = ranks.bucket_of(score)
        low, high = ranks.bucket_bounds(bucket)
        assert low <= score < high
        assert bucket >= previous
        previous = bucket
    # About 64 buckets for each doubling of a score: a bucket spans under 1.6 % of its scores.
    assert ranks.bucket_of(2_000_000) - ranks.bucket_of(1_000_000) == 64
    low, high = ranks.bucket_bounds(ranks.bucket_of(1_000_000))
    assert (high - low) / low < 0.016


def test_bucket_changes_move_members_and_drop_no_ops() -> None:
    board = ("c", "all", "", "*")
    changes = ranks.bucket_changes(
        [
            (board, 0, 5),  # joins the board in bucket 5
            (board, 5, 5),  # no move
            (board, 1000, 1001),  # within one bucket
            (board, 5, 7),  # 5 -> 7: bucket 5 gains one and loses one
        ]
    )
    assert changes == {(*board, 7): 1}


async def test_own_rank_and_size_match_a_sort_of_the_board(api: object) -> None:
    assert Running.app is not None
    runtime = Running.app.state.runtime
    cid = f"cmty_{uuid.uuid4().hex[:20]}"
    boards = [(cid, "all", "", "*"), (cid, "day", "2026-12-03", "*")]
    rng = random.Random(11)
    members = [f"m-{i:03d}" for i in range(300)]
    for _ in range(6):
        added: dict[tuple[str, str, str, str, str], int] = {}
        for board in boards:
            for member in rng.sample(members, 120):
                # Many equal small scores (ties), a few large ones, some zero-point entries.
                added[(*board, member)] = rng.choice((0, 500, 1000, 1000, rng.randrange(1, 10**7)))
        async with runtime.sessions() as session:
            await batches.add_to_boards(session, added, known={})
            await session.commit()

    async with runtime.sessions() as session:
        for board in boards:
            where = dict(zip(BOARD_COLUMNS, board, strict=True))
            table = tables.board_table
            rows = (
                await session.execute(
                    select(table.c.member_id, table.c.score_milli).where(
                        *(table.c[name] == value for name, value in where.items())
                    )
                )
            ).all()
            ranked = sorted(
                ((member, score) for member, score in rows if score > 0),
                key=lambda row: (-row[1], row[0]),
            )
            assert len(ranked) > 100
            assert await repository.board_size(session, **where) == len(ranked)
            for expected, (member, score) in enumerate(ranked, start=1):
                rank = await repository.board_rank(
                    session, member_id=member, score_milli=score, **where
                )
                assert rank == expected, (board, member, score)


async def test_the_migration_counts_the_all_time_boards_already_kept(database_url: str) -> None:
    scores = {"m-a": 1000, "m-b": 1001, "m-c": 5_000_000, "m-d": 0}
    rows = [
        {**dict(zip(BOARD_COLUMNS, board, strict=True)), "member_id": m, "score_milli": score}
        for board in (("c1", "all", "", "*"), ("c1", "all", "", "tier-1"), ("c1", "week", "x", "*"))
        for m, score in scores.items()
    ]
    buckets = await rows_after_upgrade(
        SCORING,
        database_url,
        revision="5d1e7a2c9b40",  # before board_bucket
        seed=(tables.board_table, rows),
        read=tables.bucket_table,
    )
    found = {(row.scope, row.bucket): row.members for row in buckets if row.members != 0}
    # 1000 and 1001 share a bucket; a zero score is on no bucket; a week's board keeps none.
    expected = {ranks.bucket_of(1000): 2, ranks.bucket_of(5_000_000): 1}
    assert found == {(scope, b): n for scope in ("*", "tier-1") for b, n in expected.items()}
