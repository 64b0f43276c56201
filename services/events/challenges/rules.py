"""打卡 rules: the challenge's days, streaks and their ranking, and which members are erased."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.common.events.catalogue.vocabulary import ERASED_PREFIX

# Aliases written before the shared vocabulary began with "erased_"; databases still hold them,
# so the standings must keep recognising both.
LEGACY_ERASED_PREFIX = "erased_"


def is_erased_alias(member_id: str) -> bool:
    """Whether a check-in's member id is the alias an erased member's days were moved to."""
    return member_id.startswith((ERASED_PREFIX, LEGACY_ERASED_PREFIX))


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int
    total: int


def streak_of(days: Iterable[date], *, today: date, last_day: date) -> Streak:
    """Current and longest runs of consecutive checked-in days.

    The current run is the one ending today or, while today is not yet checked in, yesterday
    (a streak survives until a whole day passes without a check-in); once the challenge is
    over, "today" is its last day."""
    checked = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    runs_end: dict[date, int] = {}
    for day in checked:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        runs_end[day] = run
        longest = max(longest, run)
        previous = day
    reference = min(today, last_day)
    current = runs_end.get(reference) or runs_end.get(reference - timedelta(days=1)) or 0
    return Streak(current=current, longest=longest, total=len(checked))


def ranked_streaks(streaks: dict[str, Streak]) -> list[tuple[str, Streak]]:
    """Best first: current streak, then longest, then days checked in, then member id."""
    return sorted(
        streaks.items(),
        key=lambda item: (-item[1].current, -item[1].longest, -item[1].total, item[0]),
    )
