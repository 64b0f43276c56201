"""A lottery's pools and states; the draw itself is shared with the community-wide lotteries
(services.common.lottery)."""

from enum import StrEnum

from services.common.lottery import (
    LOTTERY_SEED_BYTES,
    draw_winners,
    new_lottery_seed,
    seed_digest,
)

__all__ = [
    "LOTTERY_SEED_BYTES",
    "LotteryPool",
    "LotteryStatus",
    "draw_winners",
    "new_lottery_seed",
    "seed_digest",
]


class LotteryPool(StrEnum):
    ATTENDEES = "attendees"
    REGISTRANTS = "registrants"


class LotteryStatus(StrEnum):
    COMMITTED = "committed"
    DRAWN = "drawn"
