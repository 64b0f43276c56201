"""The engagement rank from key buckets (services/scoring/storage/ranks.py), on SQLite and
PostgreSQL: every member's rank equals the rank a sort of the whole community gives, ties
included, as batches move members between buckets and a half-life change re-keys them all."""

import math
import random
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.components import SCORING
from services.scoring import tables
from services.scoring.engagement import repository
from services.scoring.engagement import rules as engagement_rules
from services.scoring.leaderboards import rules as ranks
from services.scoring.ledger import repository as batches
from services.scoring.ledger.rules import Fold, ScoreState
from services.scoring.points import repository as points_repository
from services.scoring.scoring_rules import repository as scoring_rules_repository
from tests.support import rows_after_upgrade, service_client


class Running:
    app: FastAPI | None = None


async def remember(app: FastAPI) -> None:
    Running.app = app


api = service_client(SCORING, prepare=remember, run_consumers=False, run_clockwork=False)

K = ranks.KEY_BUCKETS
EDGES = [
    0.0,
    -0.0,
    3.0,  # exactly on a bucket's low bound
    math.nextafter(3.0, -math.inf),  # the last key of the bucket below
    math.nextafter(3.0, math.inf),
    -1 / K,
    math.nextafter(-1 / K, 0.0),
    5e-324,  # the smallest positive float
    -5e-324,
    1234.5678,
    -98765.4321,
    (ranks.KEY_BUCKET_LIMIT - 1) / K,
    math.nextafter(ranks.KEY_BUCKET_LIMIT / K, 0.0),
    ranks.KEY_BUCKET_LIMIT / K,
    -ranks.KEY_BUCKET_LIMIT / K,
    math.nextafter(-ranks.KEY_BUCKET_LIMIT / K, -math.inf),
    1e300,
    1.7e308,
    -1e299,
    math.nextafter(engagement_rules.NO_SCORE, math.inf),
]


def test_key_buckets_are_ordered_and_hold_their_keys() -> None:
    rng = random.Random(5)
    keys = sorted([*EDGES, *(rng.uniform(-200.0, 200.0) for _ in range(20_000))])
    previous = -math.inf
    for key in keys:
        bucket = ranks.key_bucket_of(key)
        assert bucket is not None
        low, high = ranks.key_bucket_bounds(bucket)
        assert low <= key < high, (key, bucket, low, high)
        assert bucket >= previous
        assert -ranks.KEY_BUCKET_LIMIT <= bucket <= ranks.KEY_BUCKET_LIMIT  # a 32-bit column
        previous = bucket
    assert ranks.key_bucket_of(3.0) == 3 * K
    assert ranks.key_bucket_of(math.nextafter(3.0, -math.inf)) == 3 * K - 1
    # 32 buckets per doubling of the score: one spans about 2.2 % of its scores.
    assert (ranks.key_bucket_of(20.0), ranks.key_bucket_of(21.0)) == (20 * K, 21 * K)
    assert ranks.key_bucket_of(engagement_rules.NO_SCORE) is None


def test_key_bucket_changes_move_members_and_drop_no_ops() -> None:
    changes = ranks.key_bucket_changes(
        [
            ("c", engagement_rules.NO_SCORE, 1.0),  # scores for the first time: into bucket 32
            ("c", 1.0, 1.01),  # within one bucket
            ("c", 2.0, 1.0),  # from bucket 64 to 32
            (
                "d",
                engagement_rules.NO_SCORE,
                engagement_rules.NO_SCORE,
            ),  # still no score: in no bucket
            ("d", -1.0, engagement_rules.NO_SCORE),
        ]
    )
    assert changes == {("c", K): 2, ("c", 2 * K): -1, ("d", -K): -1}


async def write_keys(session: AsyncSession, cid: str, keys: dict[str, float]) -> None:
    """A batch that leaves these members with these keys, through the batch's own load and
    write (`load_scores`, `write_fold`)."""
    pairs = sorted((cid, member) for member in keys)
    scores = await batches.load_scores(session, pairs, lock=True)
    for pair in pairs:
        state = scores.setdefault(pair, ScoreState(*pair))
        state.engagement_key = keys[pair[1]]
        state.touched = True
    await batches.write_fold(session, Fold(scores=scores), [])


async def assert_ranks_match_a_sort(session: AsyncSession, cid: str) -> None:
    table = tables.score_table
    rows = (
        await session.execute(
            select(table.c.member_id, table.c.engagement_key).where(table.c.community_id == cid)
        )
    ).all()
    ranked = sorted(rows, key=lambda row: (-row[1], row[0]))
    assert len({key for _, key in ranked}) < len(ranked), "ties among the keys"
    for expected, (member, key) in enumerate(ranked, start=1):
        rank = await repository.engagement_rank(
            session, community_id=cid, member_id=member, key=key
        )
        assert rank == expected, (member, key)
    # The buckets are exactly the counts of the keys, none lost or left over.
    buckets = tables.key_bucket_table
    stored = {
        row.bucket: row.members
        for row in await session.execute(
            select(buckets).where(buckets.c.community_id == cid, buckets.c.members != 0)
        )
    }
    counted = ranks.key_bucket_changes((cid, engagement_rules.NO_SCORE, key) for _, key in rows)
    assert stored == {bucket: n for (_, bucket), n in counted.items()}


async def test_engagement_rank_matches_a_sort_across_batches_and_a_rekey(api: object) -> None:
    assert Running.app is not None
    runtime = Running.app.state.runtime
    cid, other = (f"cmty_{uuid.uuid4().hex[:20]}" for _ in range(2))
    rng = random.Random(23)
    members = [f"m-{i:03d}" for i in range(240)]
    # Few distinct keys (ties), keys on and next to bucket bounds, some spread out; members
    # who have a row but no score (points only) are ranked after everyone with one.
    pool = [*EDGES[:12], 7.5, 7.5, 7.5, 9.0]

    def draw() -> float:
        return rng.choice((*pool, engagement_rules.NO_SCORE, rng.uniform(-40.0, 40.0)))

    async def batch(n: int) -> None:
        async with runtime.sessions() as session:
            await write_keys(session, cid, {m: draw() for m in rng.sample(members, n)})
            # Another community's members in the same buckets count for nothing here.
            await write_keys(session, other, {m: draw() for m in rng.sample(members, 30)})
            await session.commit()

    for _ in range(5):
        await batch(90)
    async with runtime.sessions() as session:
        await assert_ranks_match_a_sort(session, cid)

    # A half-life change moves every key by the same terms, not by whole buckets.
    async with runtime.sessions() as session:
        at = datetime(2026, 12, 3, 14, 0, 0, 123456, tzinfo=UTC)
        await scoring_rules_repository.rekey_community(
            session, community_id=cid, at=at, old=14.0, new=3.0
        )
        await session.commit()
    async with runtime.sessions() as session:
        await assert_ranks_match_a_sort(session, cid)

    for _ in range(3):
        await batch(60)
    async with runtime.sessions() as session:
        await assert_ranks_match_a_sort(session, cid)
        await assert_ranks_match_a_sort(session, other)


async def test_the_migration_counts_the_engagement_keys_already_kept(database_url: str) -> None:
    keys = {
        ("c1", "m-a"): 3.0,
        ("c1", "m-b"): math.nextafter(3.0, math.inf),  # shares m-a's bucket
        ("c1", "m-c"): math.nextafter(3.0, -math.inf),  # the bucket below
        ("c1", "m-d"): -12.25,
        ("c1", "m-e"): engagement_rules.NO_SCORE,  # no score: in no bucket
        ("c1", "m-f"): 1e300,
        ("c2", "m-a"): 3.0,
    }
    rows = [
        {**points_repository.new_score_row(cid, member), "engagement_key": key}
        for (cid, member), key in keys.items()
    ]
    buckets = await rows_after_upgrade(
        SCORING,
        database_url,
        revision="4c2d8e6f1a93",  # before engagement_bucket
        seed=(tables.score_table, rows),
        read=tables.key_bucket_table,
    )
    found = {(row.community_id, row.bucket): row.members for row in buckets}
    assert found == {
        ("c1", 3 * K): 2,
        ("c1", 3 * K - 1): 1,
        ("c1", -392): 1,  # -12.25 * 32
        ("c1", ranks.KEY_BUCKET_LIMIT): 1,
        ("c2", 3 * K): 1,
    }
