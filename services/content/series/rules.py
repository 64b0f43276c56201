"""Recurring series: an RFC 5545 RRULE read by python-dateutil (never parsed by hand), bounded
so that a rule can neither flood the calendar nor stall the worker, and expanded in the
community's timezone (a daily 08:00 brief stays at 08:00 local across daylight-saving changes).
"""

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from services.common.errors import ServiceBusy
from services.content.series.errors import InvalidRecurrence

MAX_RULE_LENGTH = 500
ALLOWED_FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
# Occurrences closer than this make a rule too frequent for a content series.
MIN_OCCURRENCE_GAP = timedelta(hours=1)
# A rule must have an occurrence within this long of its start (it is checked over this span).
VALIDATION_SPAN = timedelta(days=366 * 2)
OCCURRENCES_CHECKED = 100
# dateutil walks period by period to the year 9999 looking for a first occurrence of a rule
# that can never occur (BYYEARDAY=400 daily: millions of days), whatever its UNTIL. A new rule
# is therefore checked in a thread, given this long, and one at a time per process: a rule
# that takes longer is refused; the abandoned walk ends on its own.
CHECK_SECONDS = 2.0
_CHECKING = threading.BoundedSemaphore(1)


def _frequency(text: str) -> str | None:
    for part in text.split(";"):
        name, _, value = part.partition("=")
        if name.strip().upper() == "FREQ":
            return value.strip().upper()
    return None


def parse_recurrence(text: str, *, starts_at: datetime, zone: ZoneInfo) -> rrule:
    """The rule `text` (an RRULE value, with or without its `RRULE:` prefix) starting at
    `starts_at` on the community's wall clock; InvalidRecurrence if dateutil cannot read it, it
    carries more than a rule, recurs more often than hourly, or never occurs."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if not body or len(body) > MAX_RULE_LENGTH or any(char in body for char in ":\r\n"):
        raise InvalidRecurrence(
            "Give one RRULE value such as FREQ=DAILY;BYHOUR=8;BYMINUTE=0 (no DTSTART: "
            "starts_at is the start)."
        )
    frequency = _frequency(body)
    if frequency not in ALLOWED_FREQUENCIES:
        raise InvalidRecurrence(
            f"FREQ must be one of {', '.join(sorted(ALLOWED_FREQUENCIES))}; a series recurs "
            "at most a few times a day."
        )
    start = starts_at.astimezone(zone)
    try:
        rule = rrulestr(body, dtstart=start)
        if not isinstance(rule, rrule):  # one RRULE line is an rrule, not a set
            raise InvalidRecurrence("Give one RRULE.")
        # Checked over a bounded span: a rule that can never occur (30 February) would
        # otherwise make dateutil walk day by day to the year 9999.
        bounded = rule.replace(count=None, until=start + VALIDATION_SPAN)
        first = list(islice(iter(bounded), OCCURRENCES_CHECKED))
    except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:
        raise InvalidRecurrence(f"dateutil cannot read this RRULE: {exc}") from exc
    if not first:
        raise InvalidRecurrence("This rule has no occurrence within two years of starts_at.")
    for earlier, later in pairwise(first):
        if later - earlier < MIN_OCCURRENCE_GAP:
            raise InvalidRecurrence(
                "This rule recurs more often than once an hour "
                f"({earlier.isoformat()} then {later.isoformat()})."
            )
    return rule


def occurrences(rule: rrule, *, after: datetime, until: datetime) -> Iterator[datetime]:
    """The rule's occurrences in (after, until], in UTC."""
    for occurrence in rule:
        moment = occurrence.astimezone(UTC)
        if moment > until:
            return
        if moment > after:
            yield moment


async def check_recurrence(text: str, *, starts_at: datetime, zone: ZoneInfo) -> rrule:
    """`parse_recurrence` for a rule from a request: bounded in time and one at a time."""
    if not _CHECKING.acquire(blocking=False):
        raise ServiceBusy(
            "Another recurrence rule is being checked; try again shortly.",
            headers={"Retry-After": "2"},
        )

    def parse() -> rrule:
        try:
            return parse_recurrence(text, starts_at=starts_at, zone=zone)
        finally:
            _CHECKING.release()

    try:
        return await asyncio.wait_for(asyncio.to_thread(parse), CHECK_SECONDS)
    except TimeoutError as exc:
        raise InvalidRecurrence(
            "This rule takes too long to expand (it may never occur); simplify it."
        ) from exc
