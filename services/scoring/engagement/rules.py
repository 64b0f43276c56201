"""The engagement score: exponential decay stored as a decay-invariant key, and KOLs.

Pure functions and constants; no SQL, no FastAPI.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from services.common.events.catalogue.vocabulary import ActivityType
from services.scoring.points.rules import MILLI

#
# S(t) = Σ w_i · 2^(-(t - t_i)/h). Every term shrinks by the same factor as time passes, so the
# order of members never changes by itself. Each member stores K = log2(Σ w_i · 2^((t_i - E)/h)),
# the score "at epoch" E, on a log scale (it would overflow a float after ~1000 half-lives
# otherwise). Ranking by K is ranking by S(t) at any t; S(t) = 2^(K - (t - E)/h) is computed on
# read. Nothing is rewritten as time passes.

DECAY_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


# The key of a member with no score: below any real key, and not NULL (NULLs sort first in a
# PostgreSQL DESC index).
NO_SCORE = -1.0e300


SECONDS_PER_DAY = 86400.0


def _half_lives_since_epoch(moment: datetime, half_life_days: float) -> float:
    return (moment - DECAY_EPOCH).total_seconds() / (half_life_days * SECONDS_PER_DAY)


def add_to_key(
    key: float, weight_milli: int, occurred_at: datetime, half_life_days: float
) -> float:
    """The key after an activity worth `weight_milli` that occurred at `occurred_at`."""
    if weight_milli <= 0:
        return key
    term = math.log2(weight_milli / MILLI) + _half_lives_since_epoch(occurred_at, half_life_days)
    if key <= NO_SCORE:
        return term
    high, low = (key, term) if key >= term else (term, key)
    return high + math.log2(1.0 + 2.0 ** (low - high))


def remove_from_key(
    key: float, weight_milli: int, occurred_at: datetime, half_life_days: float
) -> float:
    """The key without an activity worth `weight_milli` it was given (a credit a late arrival
    retracted); NO_SCORE when nothing measurable is left."""
    if weight_milli <= 0 or key <= NO_SCORE:
        return key
    term = math.log2(weight_milli / MILLI) + _half_lives_since_epoch(occurred_at, half_life_days)
    rest = 1.0 - 2.0 ** (term - key)
    # What is left below a millionth of the key's score is rounding from the credit itself.
    if rest <= 1e-9:
        return NO_SCORE
    return key + math.log2(rest)


def score_at(key: float, moment: datetime, half_life_days: float) -> float:
    """The decayed score at `moment`."""
    if key <= NO_SCORE:
        return 0.0
    exponent = key - _half_lives_since_epoch(moment, half_life_days)
    return 0.0 if exponent < -1000 else 2.0 ** min(exponent, 1000.0)


def rekey(key: float, at: datetime, old_half_life: float, new_half_life: float) -> float:
    """The key under a new half-life, the score unchanged at `at`: decay changes from then on."""
    if key <= NO_SCORE:
        return key
    old_term, new_term = rekey_terms(at, old_half_life, new_half_life)
    return key - old_term + new_term


def rekey_terms(at: datetime, old_half_life: float, new_half_life: float) -> tuple[float, float]:
    """What a re-key subtracts and adds: half-lives since the epoch under each half-life."""
    return _half_lives_since_epoch(at, old_half_life), _half_lives_since_epoch(at, new_half_life)


# Influence: what others do in response to a member, and what the member brings in.
KOL_WEIGHTS: Mapping[str, int] = {
    ActivityType.REACTION_RECEIVED: 1,
    ActivityType.REPLY_RECEIVED: 2,
    ActivityType.UGC_APPROVED: 5,
    ActivityType.INVITE_ACCEPTED: 5,
}


KOL_THRESHOLD = 50


def kol_points(counts: Mapping[str, int]) -> int:
    return sum(weight * counts.get(kind, 0) for kind, weight in KOL_WEIGHTS.items())


@dataclass(frozen=True)
class BreakdownLine:
    type: str
    count: int
    points: float
    capped: int
    cooled_down: int


@dataclass(frozen=True)
class Decay:
    half_life_days: float
    as_of: datetime
    factor_since_last_activity: float | None
    score_at_last_activity: float | None


@dataclass(frozen=True)
class Engagement:
    community_id: str
    member_id: str
    display_name: str | None
    score: float
    points: float
    level: int
    badges: list[str]
    segment: str
    kol: bool
    kol_points: int
    # None while the member has no engagement score: they are on no ranking yet.
    rank: int | None
    activity_count: int
    all_time_points: float
    last_active_at: datetime | None
    breakdown: list[BreakdownLine]
    decay: Decay
