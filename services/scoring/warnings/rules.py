"""When a spike or a falling event rating raises an alert, pure: the documented defaults."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final


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
        if signal == RATING_KEY:
            continue
        found[Signal(signal)] = Threshold(at_least=int(values["at_least"]), times=values["times"])
    return found


RATING_DROP = "rating_drop"
# The falling-rating threshold is kept in the community's thresholds document under this key,
# beside the signals'.
RATING_KEY = "rating"


@dataclass(frozen=True)
class RatingThreshold:
    """An event raises `rating_drop` once it has `min_ratings` ratings and their mean is below
    the mean of the community's `previous_events` events before it (those that ended earlier
    with `min_ratings` ratings each; one at least) by `drop` stars or more."""

    min_ratings: int = 5
    previous_events: int = 5
    drop: float = 0.5


# Five ratings make an event's mean worth comparing; the five events before are the usual
# level; half a star below it (on 1 to 5) is a fall an operator should look at.
RATING_THRESHOLD: Final = RatingThreshold()


def rating_threshold_of(overrides: Mapping[str, Any] | None) -> RatingThreshold:
    values = (overrides or {}).get(RATING_KEY)
    if not values:
        return RATING_THRESHOLD
    return RatingThreshold(
        min_ratings=int(values["min_ratings"]),
        previous_events=int(values["previous_events"]),
        drop=float(values["drop"]),
    )


@dataclass(frozen=True)
class RatingFall:
    mean: float
    baseline: float
    fall: float


def rating_fall(
    ratings: int, rating_sum: int, previous: Sequence[tuple[int, int]], threshold: RatingThreshold
) -> RatingFall | None:
    """The fall when the event's mean (`rating_sum` / `ratings`) is below the mean of the
    previous events' means (`previous`: their (ratings, sum)) by the threshold's `drop`; None
    when it is not, or there is too little to compare."""
    if ratings < threshold.min_ratings or not previous:
        return None
    mean = rating_sum / ratings
    baseline = sum(total / count for count, total in previous) / len(previous)
    fall = baseline - mean
    # Rounded to hundredths, as it is reported, so 4.0 - 3.5 counts as the half star it is.
    if round(fall, 2) < threshold.drop:
        return None
    return RatingFall(mean=mean, baseline=baseline, fall=fall)
