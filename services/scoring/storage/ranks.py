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
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping

from services.scoring.domain.models import Period

# The boards that keep buckets: all time (a period's board holds only who was active in it).
BUCKETED = Period.ALL.value
BITS = 7
_HALF = 1 << (BITS - 1)

BoardOf = tuple[str, str, str, str]  # community, period, period start, scope
BucketKey = tuple[str, str, str, str, int]


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


def bucket_changes(
    moves: Iterable[tuple[BoardOf, int, int]],
) -> dict[BucketKey, int]:
    """What `board_bucket` gains and loses when members' scores move from `before` to `after`
    (0: not on the board), per (board, bucket); buckets with no net change are left out."""
    changes: dict[BucketKey, int] = defaultdict(int)
    for board, before, after in moves:
        old = bucket_of(before) if before > 0 else None
        new = bucket_of(after) if after > 0 else None
        if old == new:
            continue
        if old is not None:
            changes[(*board, old)] -= 1
        if new is not None:
            changes[(*board, new)] += 1
    return {key: delta for key, delta in changes.items() if delta}


def buckets_of_boards(scores: Mapping[tuple[str, str, str, str, str], int]) -> dict[BucketKey, int]:
    """The bucket counts of whole boards, from each member's score on them (the replay's)."""
    return bucket_changes(
        ((key[:4], 0, score) for key, score in scores.items() if key[1] == BUCKETED)
    )
