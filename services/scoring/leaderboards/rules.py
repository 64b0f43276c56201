"""Score buckets: what makes a member's rank cheap at any depth of an all-time board.

A count of the board's index entries above a member grows with the rank (about 27 ms at rank
100,000 on SQLite). `board_bucket` keeps, per all-time board, how many members have a score in
each bucket; a rank is then the sum of the buckets above the member's (a few hundred rows at
most) plus a count of the entries above them inside their own bucket. A day's, week's or
month's board holds only the members active in it and starts empty each period; it is ranked
by counting, which spares each activity the buckets' upkeep on three more boards.

Buckets are floating-point-like: scores below 2**BITS thousandths (0.128 points) get one each;
above, each doubling of the score is split into 2**(BITS-1) buckets, so a bucket spans about
1.6 % of its scores. Its members are those scoring within that 1.6 %, however long the board,
except for ties: members with exactly one score are one range of the index.

The engagement rank works the same way with `engagement_bucket`: a member's engagement key
(log2 of the decaying score at the decay epoch, domain/rules.py) falls in bucket
floor(key * KEY_BUCKETS), 32 buckets per doubling of the score (each spans about 2.2 % of its
scores); members with no score are in none.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from services.scoring.engagement import rules as engagement_rules
from services.scoring.periods.rules import Period

BoardKey = tuple[str, str, str, str, str]  # community, period, period start, scope, member


COMMUNITY_SCOPE = "*"


@dataclass(frozen=True)
class Standing:
    """One line of a leaderboard."""

    rank: int
    member_id: str
    display_name: str | None
    score: float


@dataclass(frozen=True)
class Leaderboard:
    period: Period
    # The period's first local day (None for all time) in the community's timezone.
    period_start: str | None
    timezone: str
    tier_id: str | None
    items: list[Standing]
    # Where the caller stands, if they are a member with points on this board.
    own: Standing | None


# The boards that keep buckets: all time (a period's board holds only who was active in it).
BUCKETED = Period.ALL.value


BITS = 7


BoardOf = tuple[str, str, str, str]  # community, period, period start, scope


BucketKey = tuple[str, str, str, str, int]


Group = TypeVar("Group", bound=Hashable)


Value = TypeVar("Value")


# Engagement buckets per doubling of the score: a power of two, so key * KEY_BUCKETS and
# bucket / KEY_BUCKETS are exact in floating point and a key always lies inside its bucket's
# bounds. Keys beyond ±KEY_BUCKET_LIMIT / KEY_BUCKETS (millions of doublings: none a real score
# reaches) share the outermost buckets, which are open-ended, so the column stays a 32-bit int.
KEY_BUCKETS = 32


KEY_BUCKET_LIMIT = 1 << 30


def bucket_of(score_milli: int) -> int:
    """The bucket of a positive score; larger scores never fall in a smaller bucket."""
    shift = max(score_milli.bit_length() - BITS, 0)
    return (shift << (BITS - 1)) + (score_milli >> shift)


def bucket_bounds(bucket: int) -> tuple[int, int]:
    """The scores in a bucket: [low, high)."""
    if bucket < 1 << BITS:
        return bucket, bucket + 1
    shift = (bucket >> (BITS - 1)) - 1
    mantissa = bucket - (shift << (BITS - 1))
    return mantissa << shift, (mantissa + 1) << shift


def key_bucket_of(key: float) -> int | None:
    """The engagement bucket of a key (None: no score, in no bucket); larger keys never fall
    in a smaller bucket."""
    if key <= engagement_rules.NO_SCORE:
        return None
    scaled = key * KEY_BUCKETS
    if scaled >= KEY_BUCKET_LIMIT:
        return KEY_BUCKET_LIMIT
    if scaled < -KEY_BUCKET_LIMIT:
        return -KEY_BUCKET_LIMIT
    return math.floor(scaled)


def key_bucket_bounds(bucket: int) -> tuple[float, float]:
    """The keys in an engagement bucket: [low, high)."""
    low = -math.inf if bucket <= -KEY_BUCKET_LIMIT else bucket / KEY_BUCKETS
    high = math.inf if bucket >= KEY_BUCKET_LIMIT else (bucket + 1) / KEY_BUCKETS
    return low, high


def moves_to_changes(
    moves: Iterable[tuple[Group, Value, Value]], bucket: Callable[[Value], int | None]
) -> dict[tuple[Group, int], int]:
    """What a bucket table gains and loses when members' values move from `before` to
    `after`, per (group, bucket); `bucket` gives a value's bucket (None: in none). Buckets with
    no net change are left out."""
    changes: dict[tuple[Group, int], int] = defaultdict(int)
    for group, before, after in moves:
        old, new = bucket(before), bucket(after)
        if old == new:
            continue
        if old is not None:
            changes[(group, old)] -= 1
        if new is not None:
            changes[(group, new)] += 1
    return {key: delta for key, delta in changes.items() if delta}


def _score_bucket(score_milli: int) -> int | None:
    return bucket_of(score_milli) if score_milli > 0 else None


def bucket_changes(
    moves: Iterable[tuple[BoardOf, int, int]],
) -> dict[BucketKey, int]:
    """What `board_bucket` gains and loses when members' scores move from `before` to `after`
    (0: not on the board), per (board, bucket); buckets with no net change are left out."""
    return {
        (*board, bucket): delta
        for (board, bucket), delta in moves_to_changes(moves, _score_bucket).items()
    }


def key_bucket_changes(moves: Iterable[tuple[str, float, float]]) -> dict[tuple[str, int], int]:
    """What `engagement_bucket` gains and loses when members' keys move from `before` to
    `after` (NO_SCORE: in no bucket), per (community, bucket)."""
    return moves_to_changes(moves, key_bucket_of)


def buckets_of_boards(scores: Mapping[tuple[str, str, str, str, str], int]) -> dict[BucketKey, int]:
    """The bucket counts of whole boards, from each member's score on them (the replay's)."""
    return bucket_changes(
        ((key[:4], 0, score) for key, score in scores.items() if key[1] == BUCKETED)
    )
