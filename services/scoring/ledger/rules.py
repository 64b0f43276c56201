"""Posting activities: the rules decide what each is worth, then every measure folds it in.

The fold works on plain in-memory state that the caller loaded for a whole batch and writes
back with set-based upserts; the live consumer and the replay run the same `fold_entry`, so a
replay of the ledger in its order reproduces every score exactly.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from services.common.events.catalogue.vocabulary import ActivityType
from services.scoring.badges import rules as badges_rules
from services.scoring.badges.rules import Badge
from services.scoring.engagement import rules as engagement_rules
from services.scoring.leaderboards.rules import COMMUNITY_SCOPE, BoardKey
from services.scoring.periods import rules as periods_rules
from services.scoring.periods.rules import Period
from services.scoring.points import rules as points_rules
from services.scoring.scoring_rules import rules as scoring_rules

DERIVED_TYPES = frozenset({ActivityType.REACTION_RECEIVED, ActivityType.REPLY_RECEIVED})


RECEIVED_TYPE = {
    ActivityType.REACTION: ActivityType.REACTION_RECEIVED,
    ActivityType.REPLY: ActivityType.REPLY_RECEIVED,
}


class Outcome(StrEnum):
    CREDITED = "credited"
    CAPPED = "capped"
    COOLED_DOWN = "cooled_down"


@dataclass(frozen=True)
class Activity:
    """One activity to post: ingested by a partner or mapped from another service's event."""

    community_id: str
    activity_id: str
    member_id: str
    activity_type: str
    occurred_at: datetime
    target_member_id: str | None = None
    content_id: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class LedgerRow:
    """A ledger entry with the rules' decision on it (the columns of `ledger_entry`)."""

    id: str
    activity_id: str
    community_id: str
    member_id: str
    activity_type: str
    points_milli: int
    occurred_at: datetime
    recorded_at: datetime
    target_member_id: str | None
    content_id: str | None
    attrs: Mapping[str, Any]
    seq: int
    outcome: str
    half_life_days: float
    tier_id: str | None
    local_day: str

    def values(self) -> dict[str, Any]:
        return {**self.__dict__, "attrs": dict(self.attrs)}


@dataclass
class ScoreState:
    """A member's row of `member_score`; `added_*` are what this batch adds to the additive
    columns (written as increments, so an award landing meanwhile is not lost), and
    `loaded_engagement_key` the key as it was stored before the batch (NO_SCORE for a member
    without a row): what the batch moves the member's engagement bucket from."""

    community_id: str
    member_id: str
    score_milli: int = 0
    activity_count: int = 0
    last_active_at: datetime | None = None
    engagement_key: float = engagement_rules.NO_SCORE
    half_life_days: float = scoring_rules.DEFAULT_HALF_LIFE_DAYS
    points_milli: int = 0
    level_milli: int = 0
    level: int = 1
    segment: str = "silent"
    was_top_quarter: bool = False
    added_score_milli: int = 0
    added_activity_count: int = 0
    added_points_milli: int = 0
    added_level_milli: int = 0
    touched: bool = False
    loaded_engagement_key: float = engagement_rules.NO_SCORE


@dataclass
class TypeState:
    """A member's row of `member_type_stat` for one activity type."""

    count: int = 0
    points_milli: int = 0
    capped: int = 0
    cooled_down: int = 0
    last_credited_at: datetime | None = None
    cap_day: str = ""
    cap_day_count: int = 0
    touched: bool = False


MemberKey = tuple[str, str]


TypeKey = tuple[str, str, str]


@dataclass
class Milestone:
    """Something a fold reached that the live consumer announces (a replay does not)."""

    kind: str  # "badge" | "level"
    community_id: str
    member_id: str
    badge: str | None = None
    level: int | None = None
    previous_level: int | None = None
    level_milli: int = 0
    at: datetime | None = None


@dataclass
class Fold:
    """The state a batch changes, loaded up front and written back at the end."""

    scores: dict[MemberKey, ScoreState] = field(default_factory=dict)
    types: dict[TypeKey, TypeState] = field(default_factory=dict)
    badges: set[tuple[str, str, str]] = field(default_factory=set)
    board_added: dict[BoardKey, int] = field(default_factory=lambda: defaultdict(int))
    daily_active: set[tuple[str, str, str]] = field(default_factory=set)
    daily_counts: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    new_badges: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)

    def score(self, community_id: str, member_id: str) -> ScoreState:
        key = (community_id, member_id)
        state = self.scores.get(key)
        if state is None:
            state = self.scores[key] = ScoreState(community_id, member_id)
        return state

    def type_state(self, community_id: str, member_id: str, activity_type: str) -> TypeState:
        key = (community_id, member_id, activity_type)
        state = self.types.get(key)
        if state is None:
            state = self.types[key] = TypeState()
        return state


def decide(
    fold: Fold, activity: Activity, community_rules: scoring_rules.Rules, local_day: str
) -> tuple[Outcome, int]:
    """What the community's rules make of an activity: credited (with its weight), or refused
    by a cooldown or the daily cap (worth nothing, but counted in the breakdown). Right only
    when the member's earlier activities of the type were decided first: the caller folds a
    batch in time order and re-decides what a late arrival lands among (`redecide`)."""
    state = fold.type_state(activity.community_id, activity.member_id, activity.activity_type)
    return decide_on(
        state, activity.activity_type, activity.occurred_at, community_rules, local_day
    )


def decide_on(
    state: "TypeState",
    activity_type: str,
    occurred_at: datetime,
    community_rules: scoring_rules.Rules,
    local_day: str,
) -> tuple[Outcome, int]:
    cooldown = community_rules.cooldown(activity_type)
    if cooldown > 0 and state.last_credited_at is not None:
        gap = abs((occurred_at - state.last_credited_at).total_seconds())
        if gap < cooldown:
            return Outcome.COOLED_DOWN, 0
    cap = community_rules.cap(activity_type)
    if cap is not None and state.cap_day == local_day and state.cap_day_count >= cap:
        return Outcome.CAPPED, 0
    return Outcome.CREDITED, community_rules.weight_milli(activity_type)


def credit_in_type(state: "TypeState", occurred_at: datetime, local_day: str) -> None:
    """A credited entry's mark on what the rules look at: the last credited instant, and the
    credits on the latest local day with any (the day only moves forward, so the state is the
    same whatever order the entries are folded in, as the replay folds them)."""
    if state.last_credited_at is None or occurred_at > state.last_credited_at:
        state.last_credited_at = occurred_at
    if state.cap_day == local_day:
        state.cap_day_count += 1
    elif local_day > state.cap_day:
        state.cap_day, state.cap_day_count = local_day, 1


def has_order_rules(community_rules: scoring_rules.Rules, activity_type: str) -> bool:
    """Whether an activity's worth depends on the member's other activities of its type."""
    return (
        community_rules.cooldown(activity_type) > 0
        or community_rules.cap(activity_type) is not None
    )


# How far before a late arrival the entries a re-decision reads reach: its cooldown, and the
# rest of the local day of the entry that decides it (a day is at most 26 hours long,
# whatever the timezone).
CAP_REACH_SECONDS = 26 * 3600


def reach_seconds(community_rules: scoring_rules.Rules, activity_type: str) -> int:
    """Without a cap the cooldown alone decides, but the type's state still counts the credits
    of its latest local day (what a cap added later decides from, and what the replay
    rebuilds): the re-decision must see the whole of that day, or it counts a part of it."""
    return community_rules.cooldown(activity_type) + CAP_REACH_SECONDS


@dataclass(frozen=True)
class PastEntry:
    """A ledger entry already posted, as a re-decision needs it."""

    id: str
    activity_id: str
    occurred_at: datetime
    local_day: str
    outcome: str
    points_milli: int
    tier_id: str | None


@dataclass(frozen=True)
class Revision:
    """A posted entry whose decision a late arrival changed."""

    entry: PastEntry
    outcome: Outcome
    points_milli: int


@dataclass
class Redecision:
    """A late batch among one member's posted entries of one type: each fresh activity's
    decision, the posted entries whose decision changes, and the type's state after all."""

    decisions: dict[str, tuple[Outcome, int]]
    revisions: list[Revision]
    state: "TypeState"


def redecide(
    past: Sequence[PastEntry],
    fresh: Sequence[tuple[Activity, str]],
    community_rules: scoring_rules.Rules,
    activity_type: str,
) -> Redecision:
    """Decide one member's activities of one type in time order (ties by activity id) among
    the entries posted before, from the earliest fresh one on.

    `past` holds every posted entry from `reach_seconds` before the earliest fresh activity:
    those before it keep their decisions (nothing new precedes them) and set the state the
    rest are decided from; those after it are decided again with the fresh ones."""
    first = min(activity.occurred_at for activity, _ in fresh)
    state = TypeState()
    moving: list[tuple[datetime, str, PastEntry | None, Activity | None, str]] = []
    for entry in sorted(past, key=lambda e: (e.occurred_at, e.activity_id)):
        if entry.occurred_at < first:
            if entry.outcome == Outcome.CREDITED:
                credit_in_type(state, entry.occurred_at, entry.local_day)
        else:
            moving.append((entry.occurred_at, entry.activity_id, entry, None, entry.local_day))
    for activity, local_day in fresh:
        moving.append((activity.occurred_at, activity.activity_id, None, activity, local_day))
    moving.sort(key=lambda item: (item[0], item[1]))
    decisions: dict[str, tuple[Outcome, int]] = {}
    revisions: list[Revision] = []
    for occurred_at, activity_id, posted, _, local_day in moving:
        outcome, points = decide_on(state, activity_type, occurred_at, community_rules, local_day)
        if outcome == Outcome.CREDITED:
            credit_in_type(state, occurred_at, local_day)
        if posted is None:
            decisions[activity_id] = (outcome, points)
        elif outcome != posted.outcome:
            # A posted entry keeps the weight it was credited with, if it is credited still.
            revisions.append(Revision(posted, outcome, points))
    return Redecision(decisions, revisions, state)


def revise(
    fold: Fold, community_id: str, member_id: str, activity_type: str, revision: Revision
) -> int:
    """Apply a changed decision of a posted entry to every measure; the points it moves."""
    entry = revision.entry
    delta = revision.points_milli - entry.points_milli
    state = fold.type_state(community_id, member_id, activity_type)
    state.touched = True
    state.points_milli += delta
    for outcome, step in ((entry.outcome, -1), (revision.outcome.value, 1)):
        if outcome == Outcome.CAPPED:
            state.capped += step
        elif outcome == Outcome.COOLED_DOWN:
            state.cooled_down += step
    score = fold.score(community_id, member_id)
    score.touched = True
    _add_points(score, delta)
    # A retracted credit was never earned: the level is what the earned points reach, as
    # the replay (which sees only the final decisions) works it out.
    score.level = points_rules.level_for(score.level_milli)
    if delta > 0:
        score.engagement_key = engagement_rules.add_to_key(
            score.engagement_key, delta, entry.occurred_at, score.half_life_days
        )
    elif delta < 0:
        score.engagement_key = engagement_rules.remove_from_key(
            score.engagement_key, -delta, entry.occurred_at, score.half_life_days
        )
    post_to_boards(fold, community_id, member_id, entry.tier_id, entry.local_day, delta)
    return delta


def fold_entry(fold: Fold, entry: LedgerRow, *, announce: bool) -> None:
    """Apply one decided ledger entry to every measure."""
    community_id, member_id = entry.community_id, entry.member_id
    credited = entry.points_milli
    kind = entry.activity_type
    state = fold.type_state(community_id, member_id, kind)
    state.touched = True
    state.count += 1
    if entry.outcome == Outcome.CAPPED:
        state.capped += 1
    elif entry.outcome == Outcome.COOLED_DOWN:
        state.cooled_down += 1
    else:
        state.points_milli += credited
        credit_in_type(state, entry.occurred_at, entry.local_day)

    score = fold.score(community_id, member_id)
    score.touched = True
    score.activity_count += 1
    score.added_activity_count += 1
    if score.last_active_at is None or entry.occurred_at > score.last_active_at:
        score.last_active_at = entry.occurred_at
    if credited > 0:
        _add_points(score, credited)
        score.engagement_key = engagement_rules.add_to_key(
            score.engagement_key, credited, entry.occurred_at, score.half_life_days
        )
        _reach_level(fold, score, entry.occurred_at, announce=announce)
        post_to_boards(
            fold, community_id, member_id, entry.tier_id, entry.local_day, entry.points_milli
        )

    fold.daily_active.add((community_id, entry.local_day, member_id))
    fold.daily_counts[(community_id, entry.local_day, kind)] += 1
    if announce:
        _earn_badges(fold, entry, state)


# By level: what the next level takes (the last level has none).
_NEXT_LEVEL_MILLI = (
    *(threshold * points_rules.MILLI for threshold in points_rules.LEVEL_THRESHOLDS),
    float("inf"),
)


def _add_points(score: ScoreState, points_milli: int) -> None:
    """Credited points (negative: taken back) on the score total, the points and the level's."""
    score.score_milli += points_milli
    score.added_score_milli += points_milli
    score.points_milli += points_milli
    score.added_points_milli += points_milli
    score.level_milli += points_milli
    score.added_level_milli += points_milli


def _reach_level(fold: Fold, score: ScoreState, at: datetime, *, announce: bool) -> None:
    # Most credits reach no new level: one comparison with the next threshold says so.
    if score.level_milli < _NEXT_LEVEL_MILLI[score.level]:
        return
    level = points_rules.level_for(score.level_milli)
    if level > score.level:
        if announce:
            fold.milestones.append(
                Milestone(
                    kind="level",
                    community_id=score.community_id,
                    member_id=score.member_id,
                    level=level,
                    previous_level=score.level,
                    level_milli=score.level_milli,
                    at=at,
                )
            )
        score.level = level


def post_to_boards(  # noqa: PLR0917 - a board row's key, then the points
    fold: Fold,
    community_id: str,
    member_id: str,
    tier_id: str | None,
    local_day: str,
    points_milli: int,
) -> None:
    """Points on the member's rows of every period's board, the community's and their tier's."""
    scopes = (COMMUNITY_SCOPE,) if tier_id is None else (COMMUNITY_SCOPE, tier_id)
    added = fold.board_added
    for period, start in period_starts(local_day):
        for scope in scopes:
            added[(community_id, period, start, scope, member_id)] += points_milli


@lru_cache(maxsize=4096)
def period_starts(local_day: str) -> tuple[tuple[str, str], ...]:
    """The boards' periods containing a local day, with the day each starts (all time: "");
    a batch's entries share a handful of days, so each is worked out once."""
    day = datetime.fromisoformat(local_day).date() if local_day else None
    starts: list[tuple[str, str]] = []
    for period in Period:
        if period == Period.ALL:
            starts.append((period.value, periods_rules.ALL_TIME_START))
        elif day is not None:
            starts.append((period.value, periods_rules.period_start_on(period, day).isoformat()))
    return tuple(starts)


_COUNT_BADGES_OF: dict[str, tuple[tuple[Badge, int], ...]] = {
    kind: tuple(
        (badge, needed)
        for badge, (badge_kind, needed) in badges_rules.COUNT_BADGES.items()
        if badge_kind == kind
    )
    for kind in {kind for kind, _ in badges_rules.COUNT_BADGES.values()}
}


def _earn_badges(fold: Fold, entry: LedgerRow, state: "TypeState") -> None:
    earned = [
        badge
        for badge, needed in _COUNT_BADGES_OF.get(entry.activity_type, ())
        if state.count >= needed
    ]
    if entry.activity_type == ActivityType.CHECKIN:
        streak = entry.attrs.get("streak") if isinstance(entry.attrs, Mapping) else None
        if (
            isinstance(streak, int)
            and not isinstance(streak, bool)
            and streak >= badges_rules.STREAK_BADGE_DAYS
        ):
            earned.append(Badge.STREAK_7)
    for badge in earned:
        award_badge(fold, entry.community_id, entry.member_id, badge, entry.occurred_at)


def award_badge(fold: Fold, community_id: str, member_id: str, badge: Badge, at: datetime) -> None:
    """Award a badge unless the member holds it (`fold.badges` holds what they have)."""
    key = (community_id, member_id, badge.value)
    if key in fold.badges:
        return
    fold.badges.add(key)
    fold.new_badges.append((community_id, member_id, badge.value, at))
    fold.milestones.append(
        Milestone(kind="badge", community_id=community_id, member_id=member_id, badge=badge, at=at)
    )
