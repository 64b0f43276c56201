"""When a spike raises an alert, pure: the documented defaults."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final


class Signal(StrEnum):
    JOIN = "join"
    LEAVE = "leave"  # left or removed
    REPORT = "report"
    SANCTION = "sanction"


@dataclass(frozen=True)
class Threshold:
    """An hour raises the alert when its count reaches `at_least` and `times` the hourly
    average of the `baseline_days` before."""

    at_least: int
    times: float = 5.0
    baseline_days: int = 7

    def limit(self, hourly_average: float) -> int:
        return max(self.at_least, math.ceil(self.times * hourly_average))


# A raid (join spike) is 20 joins in an hour; a walk-out 10 departures; 5 reports or 5
# sanctions in an hour: each also at least five times the usual hour.
THRESHOLDS: Final[Mapping[Signal, Threshold]] = {
    Signal.JOIN: Threshold(at_least=20),
    Signal.LEAVE: Threshold(at_least=10),
    Signal.REPORT: Threshold(at_least=5),
    Signal.SANCTION: Threshold(at_least=5),
}


# The lowest floor a community may set: below it no hour is even compared.
MIN_FLOOR: Final = 1


def alert_kind(signal: Signal) -> str:
    return f"{signal}_spike"


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def baseline_span(hour: datetime, threshold: Threshold) -> tuple[datetime, datetime]:
    """The hours the average is taken over: the `baseline_days` before this hour."""
    return hour - timedelta(days=threshold.baseline_days), hour


def thresholds_of(overrides: Mapping[str, Mapping[str, float]] | None) -> dict[Signal, Threshold]:
    """The thresholds in force: the community's where it set them, the defaults elsewhere."""
    found = dict(THRESHOLDS)
    for signal, values in (overrides or {}).items():
        found[Signal(signal)] = Threshold(at_least=int(values["at_least"]), times=values["times"])
    return found
