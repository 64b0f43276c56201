"""Goals: the figures a target can be set for, the periods, and the linear forecast.

Pure functions; no SQL, no FastAPI (docs/scoring.md gives every formula).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class GoalMetric(StrEnum):
    MEMBERS = "members"
    WEEKLY_ACTIVES = "weekly_actives"
    ACTIVE_RATE = "active_rate"
    WEEK4_RETENTION = "week4_retention"
    NPS = "nps"


# Figures scoring has no series for yet: a goal on one is accepted and its progress is null,
# with this reason (survey NPS arrives with the member journey's surveys).
UNAVAILABLE: dict[GoalMetric, str] = {
    GoalMetric.NPS: (
        "Scoring has no NPS series yet: event feedback carries a rating, not an NPS, and survey "
        "NPS is not announced to scoring. Progress appears once it is."
    ),
}


# Ratios are fractions (0.35 is 35 %); NPS runs -100..100; counts are whole and non-negative.
TARGET_RANGE: dict[GoalMetric, tuple[float, float]] = {
    GoalMetric.MEMBERS: (0, 100_000_000),
    GoalMetric.WEEKLY_ACTIVES: (0, 100_000_000),
    GoalMetric.ACTIVE_RATE: (0, 1),
    GoalMetric.WEEK4_RETENTION: (0, 1),
    GoalMetric.NPS: (-100, 100),
}


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")
EARLIEST_YEAR = 1970
LATEST_YEAR = 9000


@dataclass(frozen=True)
class GoalPeriod:
    """A goal's period: local days [starts_on, ends_before)."""

    name: str
    kind: PeriodKind
    starts_on: date
    ends_before: date

    @property
    def ends_on(self) -> date:
        return self.ends_before - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.ends_before - self.starts_on).days


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def parse_period(text: str) -> GoalPeriod | None:
    """`2026-12` (a month), `2026-Q4` (a quarter) or `2026` (a year); None when it is none."""
    match = _PERIOD.fullmatch(text)
    if match is None:
        return None
    year = int(match["year"])
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    if match["month"] is not None:
        month = int(match["month"])
        if not 1 <= month <= 12:
            return None
        start = date(year, month, 1)
        return GoalPeriod(text, PeriodKind.MONTH, start, _month_after(start))
    if match["quarter"] is not None:
        quarter = int(match["quarter"])
        start = date(year, 3 * quarter - 2, 1)
        end = _month_after(_month_after(_month_after(start)))
        return GoalPeriod(text, PeriodKind.QUARTER, start, end)
    return GoalPeriod(text, PeriodKind.YEAR, date(year, 1, 1), date(year + 1, 1, 1))


def sample_days(period: GoalPeriod, today: date) -> list[date]:
    """The moments progress is sampled at, as the local midnight ending each day: every
    Monday inside the period up to today, and the end of today; an ended period, only its
    end. A period that has not started has none."""
    if today < period.starts_on:
        return []
    if today >= period.ends_before:  # ended: the final value is what it came to
        return [period.ends_before]
    last = min(today + timedelta(days=1), period.ends_before)
    first_monday = period.starts_on + timedelta(days=(7 - period.starts_on.weekday()) % 7)
    if first_monday == period.starts_on:
        first_monday += timedelta(days=7)
    days: list[date] = []
    day = first_monday
    while day < last:
        days.append(day)
        day += timedelta(days=7)
    days.append(last)
    return days


def linear_forecast(points: list[tuple[float, float]], at: float) -> float | None:
    """The least-squares line through (x, y) points, evaluated at `at`; with one point (or
    all at one x) the last value holds; with none there is no forecast."""
    if not points:
        return None
    if len(points) == 1:
        return points[-1][1]
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return points[-1][1]
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return mean_y + slope * (at - mean_x)


def clamp_forecast(metric: GoalMetric, value: float) -> float:
    """A forecast stays inside what the figure can be (no negative members, no rate above 1)."""
    low, high = TARGET_RANGE[metric]
    low = max(low, 0.0) if metric != GoalMetric.NPS else low
    return min(max(value, low), high)


class GoalStatus(StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    MET = "met"
    MISSED = "missed"
    UNKNOWN = "unknown"


def goal_status(
    *, target: float, value: float | None, forecast: float | None, ended: bool, started: bool
) -> GoalStatus:
    """met / missed once the period ended; on or off track by the forecast while it runs."""
    if not started:
        return GoalStatus.NOT_STARTED
    if value is None:
        return GoalStatus.UNKNOWN
    if ended:
        return GoalStatus.MET if value >= target else GoalStatus.MISSED
    if forecast is None:
        return GoalStatus.UNKNOWN
    return GoalStatus.ON_TRACK if forecast >= target else GoalStatus.OFF_TRACK
