"""The tier policy's pure rules: its settings, its calendar periods, the playbook's preset, which
ranked candidates move within the tiers' capacities, and where a member stands."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

NO_DEMOTION_AFTER_PROMOTION = timedelta(days=14)


class PeriodKind(StrEnum):
    """Calendar periods in the community's timezone."""

    WEEK = "week"  # Monday to Sunday
    HALF_MONTH = "half_month"  # the 1st to the 15th, the 16th to the month's end
    MONTH = "month"


class DemoteScope(StrEnum):
    TIER = "tier"  # the bottom N of each tier but the lowest
    COMMUNITY = "community"  # the bottom N of the whole community (outside the lowest tier)


class DemoteTo(StrEnum):
    NEXT_LOWER = "next_lower"
    LOWEST = "lowest"  # straight into 留级群


class Window(StrEnum):
    """Which period a run judges: the one that ended last (what the scheduler runs at each
    period's start), or the current one so far."""

    PREVIOUS = "previous"
    CURRENT = "current"


def period_start(kind: PeriodKind, day: date) -> date:
    if kind == PeriodKind.WEEK:
        return day - timedelta(days=day.weekday())
    if kind == PeriodKind.HALF_MONTH:
        return day.replace(day=1 if day.day <= 15 else 16)
    return day.replace(day=1)


def period_end(kind: PeriodKind, start: date) -> date:
    """The first day after the period starting on `start`."""
    if kind == PeriodKind.WEEK:
        return start + timedelta(days=7)
    next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if kind == PeriodKind.HALF_MONTH and start.day == 1:
        return start.replace(day=16)
    return next_month


def previous_period_start(kind: PeriodKind, start: date) -> date:
    return period_start(kind, start - timedelta(days=1))


@dataclass(frozen=True)
class Span:
    """A period: its local days [starts_on, ends_on)."""

    kind: PeriodKind
    starts_on: date
    ends_on: date

    def key(self, step: str) -> str:
        return f"{step}:{self.kind.value}:{self.starts_on.isoformat()}"


def span(kind: PeriodKind, today: date, window: Window) -> Span:
    start = period_start(kind, today)
    if window == Window.PREVIOUS:
        start = previous_period_start(kind, start)
    return Span(kind, start, period_end(kind, start))


def local_today(timezone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))


@dataclass(frozen=True)
class Policy:
    """The defaults are the playbook's: every half-month the 3 best of each tier go up and the 10
    least active of the whole community go down into the lowest tier (留级群); members of the
    lowest tier inactive for 30 days are purged; a warning 2 days before each demotion run."""

    promote_top: int = 3
    promote_period: PeriodKind = PeriodKind.HALF_MONTH
    demote_bottom: int = 10
    demote_period: PeriodKind = PeriodKind.HALF_MONTH
    demote_scope: DemoteScope = DemoteScope.COMMUNITY
    demote_to: DemoteTo = DemoteTo.LOWEST
    demote_silent_days: int = 0
    purge_inactive_days: int = 30
    warn_days_before: int = 2
    scheduled: bool = True

    def enabled_steps(self) -> dict[str, bool]:
        return {
            "promote": self.promote_top > 0,
            "demote": self.demote_bottom > 0,
            "purge": self.purge_inactive_days > 0,
        }

    def spans(self, today: date, window: Window) -> dict[str, Span]:
        """The period each step judges (the purge goes with the demotion's period)."""
        demote = span(self.demote_period, today, window)
        return {
            "promote": span(self.promote_period, today, window),
            "demote": demote,
            "purge": demote,
        }


PRESETS: dict[str, Policy] = {
    # 升级/留级制度 as the playbook tells it.
    "playbook": Policy(),
    # One tier down for the bottom of each tier, weekly promotions: the gentler variant.
    "per_tier": Policy(
        promote_period=PeriodKind.WEEK,
        demote_scope=DemoteScope.TIER,
        demote_to=DemoteTo.NEXT_LOWER,
    ),
}


@dataclass(frozen=True)
class Ranked:
    """A candidate as the ranking SQL returns it: the member, their tier and their score."""

    member_id: str
    user_id: str
    tier_id: str
    score: float


@dataclass(frozen=True)
class Scored:
    """A belonging member with their points in a period, and what the policy's conditions ask."""

    member_id: str
    user_id: str
    tier_id: str | None
    points: float
    last_active_at: datetime | None
    joined_at: datetime
    promoted_at: datetime | None
    movable: bool  # neither the owner, nor locked, nor on leave


def best_first(row: Scored) -> tuple[float, bool, float, float, str]:
    """The ranking order, best first: points, then last activity (recent first, never active
    last), then join time (earlier first), then member id; the worst-first order is its exact
    reverse (the ranking SQL's two orders)."""
    last = row.last_active_at.timestamp() if row.last_active_at is not None else 0.0
    return (
        -row.points,
        row.last_active_at is None,
        -last,
        row.joined_at.timestamp(),
        row.member_id,
    )


def rank_ends(
    rows: Sequence[Scored],
    *,
    tier_ids: Sequence[str],
    take: int,
    best: bool,
    per_tier: bool = True,
    promoted_before: datetime | None = None,
    silent_before: datetime | None = None,
) -> list[Ranked]:
    """In memory, what the ranking SQL (`repository.ranked_ends`) answers: the `take` best (or
    worst) movable members of each tier (or of these tiers together), under the same
    conditions; best-first keeps only members who scored."""
    if take <= 0 or not tier_ids:
        return []
    wanted = set(tier_ids)
    eligible = [
        row
        for row in rows
        if row.movable
        and row.tier_id in wanted
        and (
            promoted_before is None or row.promoted_at is None or row.promoted_at < promoted_before
        )
        and (silent_before is None or (row.last_active_at or row.joined_at) < silent_before)
    ]
    eligible.sort(key=best_first, reverse=not best)
    taken: dict[str | None, int] = {}
    found: list[Ranked] = []
    for row in eligible:
        group = row.tier_id if per_tier else None
        if taken.get(group, 0) >= take:
            continue
        taken[group] = taken.get(group, 0) + 1
        found.append(Ranked(row.member_id, row.user_id, row.tier_id or "", row.points))
    if best:
        found = [row for row in found if row.score > 0]
    if per_tier:
        found.sort(key=lambda row: row.tier_id)  # stable: places stay in order within a tier
    return found


@dataclass(frozen=True)
class Move:
    member_id: str
    user_id: str
    from_tier_id: str
    to_tier_id: str
    reason: str  # promoted | demoted | manual
    score: float


@dataclass
class RunResult:
    dry_run: bool
    moves: list[Move] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    # Steps that ran (or, dry, would run) and steps that had already run this period.
    steps: list[str] = field(default_factory=list)
    already_ran: list[str] = field(default_factory=list)
    periods: dict[str, Span] = field(default_factory=dict)


def demotion_target(tier_ids: Sequence[str], from_tier_id: str, to: DemoteTo) -> str:
    if to == DemoteTo.LOWEST:
        return tier_ids[-1]
    return tier_ids[tier_ids.index(from_tier_id) + 1]


def fit_moves(
    tier_ids: Sequence[str],
    capacity: dict[str, int],
    seats: dict[str, int],
    promotions: Sequence[Ranked],
    demotions: Sequence[Ranked],
    *,
    demote_to: DemoteTo = DemoteTo.NEXT_LOWER,
) -> list[Move]:
    """The moves that fit the tiers' capacities, all made at once: seats a move frees count for
    the others, so a promotion and a demotion between full tiers trade seats, and so does a
    cycle (一群 → 留级群 → 二群 → 一群). While a tier that gains members would end over its
    capacity, its least-deserving incoming move waits for a later period. Candidates are a few
    per tier, so this works on them in memory; the members were ranked in SQL."""
    moves = [
        move_of(row, tier_ids[tier_ids.index(row.tier_id) - 1], "promoted") for row in promotions
    ] + [
        move_of(row, demotion_target(tier_ids, row.tier_id, demote_to), "demoted")
        for row in demotions
    ]
    accepted = list(moves)
    while True:
        after = dict(seats)
        incoming: dict[str, list[Move]] = {tier: [] for tier in tier_ids}
        for move in accepted:
            after[move.from_tier_id] -= 1
            after[move.to_tier_id] += 1
            incoming[move.to_tier_id].append(move)
        over = [
            tier
            for tier in tier_ids
            if incoming[tier] and after[tier] > capacity[tier] and after[tier] > seats[tier]
        ]
        if not over:
            return accepted
        # Candidates come best first (promotions) and worst first (demotions): the last one
        # into the tier is the least urgent.
        accepted.remove(incoming[over[0]][-1])


def move_of(row: Ranked, to_tier_id: str, reason: str) -> Move:
    return Move(row.member_id, row.user_id, row.tier_id, to_tier_id, reason, row.score)


class Zone(StrEnum):
    PROMOTE = "promote"
    SAFE = "safe"
    AT_RISK = "at_risk"
