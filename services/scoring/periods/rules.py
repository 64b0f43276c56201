"""Periods in a community's timezone: days, ISO weeks, months and all time.

Pure functions and constants; no SQL, no FastAPI.
"""

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


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


def previous_period_start(period: Period, current_start: date) -> date:
    if period == Period.DAY:
        return current_start - timedelta(days=1)
    if period == Period.WEEK:
        return current_start - timedelta(days=7)
    return (current_start - timedelta(days=1)).replace(day=1)
