"""Scoring rules: what an activity is worth, decay, periods, levels, segments, KOLs and badges.

Pure functions and constants; no SQL, no FastAPI. The README's scoring section documents every
number here.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.scoring.domain.models import ActivityType, Badge, Period, Segment

# --- weights, cooldowns, caps ----------------------------------------------------------------

DEFAULT_WEIGHTS: Mapping[str, float] = {
    ActivityType.MESSAGE: 1.0,
    ActivityType.REPLY: 2.0,
    ActivityType.REACTION: 0.5,
    ActivityType.REACTION_RECEIVED: 1.0,
    ActivityType.REPLY_RECEIVED: 1.0,
    ActivityType.SHARE: 3.0,
    ActivityType.CONTENT_VIEW: 0.2,
    ActivityType.CONTENT_PUBLISHED: 5.0,
    ActivityType.UGC_APPROVED: 8.0,
    ActivityType.EVENT_REGISTERED: 2.0,
    ActivityType.EVENT_ATTENDED: 10.0,
    ActivityType.FEEDBACK: 3.0,
    ActivityType.INVITE_ACCEPTED: 15.0,
    ActivityType.CHECKIN: 2.0,
    ActivityType.POLL_VOTE: 1.0,
}
# A message earns at most once a minute per member: flooding a group is not engagement.
DEFAULT_COOLDOWN_SECONDS: Mapping[str, int] = {ActivityType.MESSAGE: 60}
# Credited activities of a type per member per day (in the community's timezone).
DEFAULT_DAILY_CAP: Mapping[str, int] = {
    ActivityType.REACTION: 50,
    ActivityType.CONTENT_VIEW: 100,
}
DEFAULT_HALF_LIFE_DAYS = 14.0

# Clocks of partners' machines drift; beyond this an occurred_at in the future is a bug.
MAX_FUTURE_SKEW = timedelta(minutes=5)

MILLI = 1000


@dataclass(frozen=True)
class Rules:
    """A community's rules as they stand: types left out of the maps take the defaults."""

    weights: Mapping[str, float] = field(default_factory=dict)
    cooldown_seconds: Mapping[str, int] = field(default_factory=dict)
    daily_cap: Mapping[str, int] = field(default_factory=dict)
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS

    def weight_milli(self, activity_type: str) -> int:
        """The activity's worth in thousandths of a point.

        A type without a weight is worth nothing rather than refused: an event of a type newer
        than these rules must still reach the ledger instead of the dead-letter topic.
        """
        weight = self.weights.get(activity_type, DEFAULT_WEIGHTS.get(activity_type, 0.0))
        return round(weight * MILLI)

    def cooldown(self, activity_type: str) -> int:
        return self.cooldown_seconds.get(
            activity_type, DEFAULT_COOLDOWN_SECONDS.get(activity_type, 0)
        )

    def cap(self, activity_type: str) -> int | None:
        return self.daily_cap.get(activity_type, DEFAULT_DAILY_CAP.get(activity_type))

    def effective(self) -> "Rules":
        """These rules with every default spelled out, as the API shows them."""
        types = [str(t) for t in ActivityType]
        return Rules(
            weights={t: self.weight_milli(t) / MILLI for t in types},
            cooldown_seconds={t: self.cooldown(t) for t in types if self.cooldown(t)},
            daily_cap={t: cap for t in types if (cap := self.cap(t)) is not None},
            half_life_days=self.half_life_days,
        )


DEFAULT_RULES = Rules()


def from_milli(value: int) -> float:
    return value / MILLI


# --- the engagement score: exponential decay, stored as a decay-invariant key ---------------
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


# --- periods in the community's timezone ------------------------------------------------------

ALL_TIME_START = ""


def zone(timezone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def period_start_on(period: Period, day: date) -> date:
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    return day


def next_period_start(period: Period, start: date) -> date:
    if period == Period.DAY:
        return start + timedelta(days=1)
    if period == Period.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_day(moment: datetime, timezone: ZoneInfo) -> date:
    try:
        return moment.astimezone(timezone).date()
    except OverflowError:  # year 1 or 9999 in a zone that would leave the calendar
        return moment.astimezone(UTC).date()


def period_key(period: Period, moment: datetime, timezone: ZoneInfo) -> str:
    """The period containing `moment`, named by its first local day (all time: "")."""
    if period == Period.ALL:
        return ALL_TIME_START
    return period_start_on(period, local_day(moment, timezone)).isoformat()


def local_midnight(day: date, timezone: ZoneInfo) -> datetime:
    """The instant a local day starts, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone).astimezone(UTC)


CLOSING_PERIODS = (Period.DAY, Period.WEEK, Period.MONTH)

# --- levels ------------------------------------------------------------------------------------

# Points earned (by activity and awards; redemptions do not lower a level) to reach each level.
LEVEL_THRESHOLDS: tuple[int, ...] = (0, 10, 50, 150, 400, 1000, 2500, 6000, 15000, 40000)


def level_for(earned_milli: int) -> int:
    level = 1
    for number, threshold in enumerate(LEVEL_THRESHOLDS, start=1):
        if earned_milli >= threshold * MILLI:
            level = number
    return level


# --- segments and KOLs -------------------------------------------------------------------------

CORE_SCORE = 50.0
ACTIVE_SCORE = 10.0
RECENT_DAYS = 7
SILENT_DAYS = 28
DORMANT_DAYS = 90
TOP_QUARTER = 0.25


def segment_for(
    *,
    score: float,
    last_active_at: datetime | None,
    now: datetime,
    was_top_quarter: bool,
    belongs: bool = True,
) -> Segment:
    """The segment of a member, from their decayed score and how long they have been quiet."""
    if last_active_at is None:
        return Segment.SILENT if belongs else Segment.CHURNED
    quiet_days = (now - last_active_at).total_seconds() / SECONDS_PER_DAY
    if not belongs or quiet_days > DORMANT_DAYS:
        return Segment.CHURNED
    if quiet_days > SILENT_DAYS:
        return Segment.DORMANT
    if quiet_days > RECENT_DAYS:
        return Segment.SLIPPING if was_top_quarter else Segment.SILENT
    if score >= CORE_SCORE:
        return Segment.CORE
    return Segment.ACTIVE if score >= ACTIVE_SCORE else Segment.CASUAL


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


# --- badges ----------------------------------------------------------------------------------

# Badges earned by counting a member's activities of one type (a streak badge reads the
# challenge's own streak; the weekly top-3 badge is given when a week closes).
COUNT_BADGES: Mapping[Badge, tuple[str, int]] = {
    Badge.FIRST_EVENT: (ActivityType.EVENT_ATTENDED, 1),
    Badge.HUNDRED_MESSAGES: (ActivityType.MESSAGE, 100),
    Badge.FIRST_UGC: (ActivityType.UGC_APPROVED, 1),
    Badge.FIVE_INVITES: (ActivityType.INVITE_ACCEPTED, 5),
}
STREAK_BADGE_DAYS = 7
WEEKLY_TOP = 3
