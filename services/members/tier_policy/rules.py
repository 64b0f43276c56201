"""The tier policy's pure rules: its settings and periods, and which ranked candidates move
within the tiers' capacities."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

NO_DEMOTION_AFTER_PROMOTION = timedelta(days=14)
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Policy:
    promote_top: int = 3
    promote_every_days: int = 7
    demote_bottom: int = 10
    demote_every_days: int = 14
    purge_inactive_days: int = 30
    scheduled: bool = True

    def enabled_steps(self) -> dict[str, bool]:
        return {
            "promote": self.promote_top > 0,
            "demote": self.demote_bottom > 0,
            "purge": self.purge_inactive_days > 0,
        }

    def period_keys(self, timezone: str, now: datetime) -> dict[str, str]:
        """Each step's key for the period `now` falls in."""
        days = (now.astimezone(ZoneInfo(timezone)).date() - EPOCH).days
        promote, demote = self.promote_every_days, self.demote_every_days
        return {
            "promote": f"promote:{promote}d:{days // promote}",
            "demote": f"demote:{demote}d:{days // demote}",
            "purge": f"purge:{demote}d:{days // demote}",
        }


@dataclass(frozen=True)
class Ranked:
    """A candidate as the ranking SQL returns it: the member, their tier and their score."""

    member_id: str
    user_id: str
    tier_id: str
    score: float


@dataclass(frozen=True)
class Move:
    member_id: str
    user_id: str
    from_tier_id: str
    to_tier_id: str
    reason: str  # promoted | demoted
    score: float


@dataclass
class RunResult:
    dry_run: bool
    moves: list[Move] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    # Steps that ran (or, dry, would run) and steps that had already run this period.
    steps: list[str] = field(default_factory=list)
    already_ran: list[str] = field(default_factory=list)


def fit_moves(
    tier_ids: Sequence[str],
    capacity: dict[str, int],
    seats: dict[str, int],
    promotions: Sequence[Ranked],
    demotions: Sequence[Ranked],
) -> list[Move]:
    """The moves that fit the tiers' capacities. Candidates are a few per tier, so this works
    on them in memory; the members were ranked in SQL."""
    below = {tier: tier_ids[index + 1] for index, tier in enumerate(tier_ids[:-1])}
    ups = {tier: [row for row in promotions if row.tier_id == tier] for tier in tier_ids}
    downs = {tier: [row for row in demotions if row.tier_id == tier] for tier in tier_ids}
    accepted: list[Move] = []
    surplus: list[Move] = []
    for upper, lower in below.items():
        rising = [move_of(row, upper, "promoted") for row in ups[lower]]
        falling = [move_of(row, lower, "demoted") for row in downs[upper]]
        swaps = min(len(rising), len(falling))
        # A promotion and a demotion between the same two tiers trade seats: always room.
        accepted += rising[:swaps] + falling[:swaps]
        surplus += rising[swaps:] + falling[swaps:]
    seats = dict(seats)
    progress = True
    while surplus and progress:
        progress = False
        for move in list(surplus):
            if seats[move.to_tier_id] < capacity[move.to_tier_id]:
                seats[move.to_tier_id] += 1
                seats[move.from_tier_id] -= 1
                accepted.append(move)
                surplus.remove(move)
                progress = True
    return accepted


def move_of(row: Ranked, to_tier_id: str, reason: str) -> Move:
    return Move(row.member_id, row.user_id, row.tier_id, to_tier_id, reason, row.score)
