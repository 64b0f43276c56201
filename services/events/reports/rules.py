"""The event report's figures, from the counts (formulas in docs/events.md, "Event report")."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Report:
    registered: int
    waitlisted: int
    attended: int
    attendance_rate: float | None
    no_show_rate: float | None
    feedback_count: int
    avg_rating: float | None
    nps: int | None
    volunteer_hours: float | None


def report_of(
    *,
    registered: int,
    waitlisted: int,
    attended: int,
    ratings: Sequence[int],
    volunteering: bool,
    starts_at: datetime,
    ends_at: datetime,
) -> Report:
    """The event report's figures (formulas in docs/events.md, "Event report")."""
    attendance_rate = round(attended / registered, 4) if registered else None
    no_show_rate = round(1 - attended / registered, 4) if registered else None
    avg_rating = round(sum(ratings) / len(ratings), 2) if ratings else None
    nps: int | None = None
    if ratings:
        promoters = sum(1 for rating in ratings if rating == 5)
        detractors = sum(1 for rating in ratings if rating <= 3)
        nps = round(100 * (promoters - detractors) / len(ratings))
    volunteer_hours = None
    if volunteering:
        hours = (ends_at - starts_at).total_seconds() / 3600
        volunteer_hours = round(hours * attended, 2)
    return Report(
        registered=registered,
        waitlisted=waitlisted,
        attended=attended,
        attendance_rate=attendance_rate,
        no_show_rate=no_show_rate,
        feedback_count=len(ratings),
        avg_rating=avg_rating,
        nps=nps,
        volunteer_hours=volunteer_hours,
    )
