"""Commit-reveal draws, shared by the event lotteries (services/events/lotteries) and the
community-wide ones (services/scoring/lotteries). Pure functions: anyone holding the revealed
seed and the published pool recomputes the winners with these few lines (docs/events.md and
docs/scoring.md, "Lottery").
"""

import hashlib
import secrets
from collections.abc import Iterable

LOTTERY_SEED_BYTES = 32


def new_lottery_seed() -> bytes:
    return secrets.token_bytes(LOTTERY_SEED_BYTES)


def seed_digest(seed: bytes) -> str:
    """What is published before the draw: SHA-256 of the seed's raw bytes, in hex."""
    return hashlib.sha256(seed).hexdigest()


def pool_digest(pool: Iterable[str]) -> str:
    """What pins a frozen pool: SHA-256 of its distinct member ids, sorted (by code point) and
    joined with "\\n", as UTF-8, in hex."""
    return hashlib.sha256("\n".join(sorted(set(pool))).encode()).hexdigest()


def draw_winners(seed: bytes, pool: Iterable[str], winners: int) -> list[str]:
    """The winners of a draw, a pure function of the seed and the pool: each distinct member id
    is ranked by SHA-256(seed || member_id as UTF-8), hex ascending (ties, which SHA-256 makes
    impossible in practice, by member id), and the first `winners` win. A member appears at most
    once, so wins at most once."""
    ranked = sorted(
        (hashlib.sha256(seed + member_id.encode()).hexdigest(), member_id)
        for member_id in sorted(set(pool))
    )
    return [member_id for _key, member_id in ranked[:winners]]
