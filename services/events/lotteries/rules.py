"""A lottery's pools and states, and the draw: a pure function of the seed and the pool."""

import hashlib
import secrets
from collections.abc import Iterable
from enum import StrEnum

LOTTERY_SEED_BYTES = 32


class LotteryPool(StrEnum):
    ATTENDEES = "attendees"
    REGISTRANTS = "registrants"


class LotteryStatus(StrEnum):
    COMMITTED = "committed"
    DRAWN = "drawn"


def new_lottery_seed() -> bytes:
    return secrets.token_bytes(LOTTERY_SEED_BYTES)


def seed_digest(seed: bytes) -> str:
    """What is published before the draw: SHA-256 of the seed's raw bytes, in hex."""
    return hashlib.sha256(seed).hexdigest()


def draw_winners(seed: bytes, pool: Iterable[str], winners: int) -> list[str]:
    """The winners of a draw, a pure function of the seed and the pool (docs/events.md, "Lottery"):
    each distinct member id is ranked by SHA-256(seed || member_id as UTF-8), hex ascending
    (ties, which SHA-256 makes impossible in practice, by member id), and the first `winners`
    win. A member appears at most once, so wins at most once."""
    ranked = sorted(
        (hashlib.sha256(seed + member_id.encode()).hexdigest(), member_id)
        for member_id in sorted(set(pool))
    )
    return [member_id for _key, member_id in ranked[:winners]]
