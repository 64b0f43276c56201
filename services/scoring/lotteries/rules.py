"""Community lotteries' states and limits, and the check anyone can run on a drawn one."""

from collections.abc import Sequence
from enum import StrEnum

from services.common.lottery import draw_winners, pool_digest, seed_digest


class LotteryStatus(StrEnum):
    COMMITTED = "committed"
    DRAWN = "drawn"


class PoolKind(StrEnum):
    ACTIVE = "active"
    SEGMENT = "segment"
    TIER = "tier"
    POLL_VOTERS = "poll_voters"
    CHALLENGE_FINISHERS = "challenge_finishers"
    TOP = "top"


MAX_ACTIVE_DAYS = 366  # an "active in a period" pool spans at most a year of local days
MAX_TOP = 1000  # the top N of a board; a board's top is read in order, N rows


def verify(
    *,
    seed_hex: str,
    seed_sha256: str,
    pool_member_ids: Sequence[str],
    pool_sha256: str,
    winners_count: int,
    winners: Sequence[str],
) -> bool:
    """What anyone can check from a drawn lottery's published fields: the seed is the one
    committed to, the pool the one frozen, and the winners the draw's."""
    seed = bytes.fromhex(seed_hex)
    return (
        seed_digest(seed) == seed_sha256
        and pool_digest(pool_member_ids) == pool_sha256
        and draw_winners(seed, pool_member_ids, winners_count) == list(winners)
    )
