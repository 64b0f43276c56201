"""Publishing rules and the slot finder: pure functions over a community's booked items, in its
IANA timezone, so that 08:00 means 08:00 on the community's wall clock on both sides of a
daylight-saving change.

The rules: items go out at the community's slots when scheduled automatically; at most
`max_per_day` items a local day per tier (an item without tiers goes to every tier, so it counts
for each); items reaching a common tier at least `min_gap_minutes` apart; nothing in the quiet
hours. An explicit time need not be a slot; it must keep the other rules.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_SLOTS = (time(8, 0), time(12, 30), time(21, 0))
DEFAULT_MAX_PER_DAY = 3
DEFAULT_MIN_GAP_MINUTES = 120
DEFAULT_QUIET_HOURS = (time(23, 0), time(7, 0))
# How far ahead the slot finder looks before it gives up.
SEARCH_HORIZON_DAYS = 366


@dataclass(frozen=True)
class PublishingRules:
    slots: tuple[time, ...] = DEFAULT_SLOTS
    max_per_day: int = DEFAULT_MAX_PER_DAY
    min_gap_minutes: int = DEFAULT_MIN_GAP_MINUTES
    quiet_hours: tuple[time, time] | None = DEFAULT_QUIET_HOURS


@dataclass(frozen=True)
class Booking:
    """An item already on the calendar (scheduled or published)."""

    publish_at: datetime
    tier_ids: tuple[str, ...]


@dataclass(frozen=True)
class BrokenRule:
    rule: str
    detail: str


def in_quiet_hours(moment: time, quiet_hours: tuple[time, time] | None) -> bool:
    if quiet_hours is None:
        return False
    start, end = quiet_hours
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # the quiet hours span midnight


def _overlap(first: Sequence[str], second: Sequence[str]) -> bool:
    # No tiers means every tier.
    return not first or not second or bool(set(first) & set(second))


def _per_tier_count(tier_ids: Sequence[str], same_day: Sequence[Booking]) -> int:
    """The most items that day in any tier this item goes to."""
    tiers = set(tier_ids) or {tier for booking in same_day for tier in booking.tier_ids}
    everyone = sum(1 for booking in same_day if not booking.tier_ids)
    counts = [
        sum(1 for booking in same_day if not booking.tier_ids or tier in booking.tier_ids)
        for tier in tiers
    ]
    return max([everyone, *counts])


def broken_rule(
    *,
    rules: PublishingRules,
    zone: ZoneInfo,
    publish_at: datetime,
    tier_ids: Sequence[str],
    bookings: Iterable[Booking],
) -> BrokenRule | None:
    """The first rule an item for `tier_ids` at `publish_at` would break, or None."""
    local = publish_at.astimezone(zone)
    if in_quiet_hours(local.time(), rules.quiet_hours):
        assert rules.quiet_hours is not None
        start, end = rules.quiet_hours
        return BrokenRule(
            "quiet_hours",
            f"{local.isoformat()} ({zone.key}) falls in the quiet hours {start:%H:%M}-{end:%H:%M}.",
        )
    relevant = [booking for booking in bookings if _overlap(tier_ids, booking.tier_ids)]
    gap = timedelta(minutes=rules.min_gap_minutes)
    for booking in relevant:
        if abs(booking.publish_at - publish_at) < gap:
            return BrokenRule(
                "min_gap",
                f"Another item for the same tiers goes out at "
                f"{booking.publish_at.astimezone(zone).isoformat()}; items must be at least "
                f"{rules.min_gap_minutes} minutes apart.",
            )
    day = local.date()
    same_day = [
        booking for booking in relevant if booking.publish_at.astimezone(zone).date() == day
    ]
    if _per_tier_count(tier_ids, same_day) >= rules.max_per_day:
        return BrokenRule(
            "max_per_day",
            f"{day.isoformat()} ({zone.key}) has {rules.max_per_day} items for these tiers "
            "already, the most a day may have.",
        )
    return None


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """`day` at `at` on the zone's wall clock, in UTC; None when that time does not exist that
    day (skipped by a daylight-saving change). An ambiguous time (the hour repeated in autumn)
    is its first occurrence."""
    wall = datetime.combine(day, at)
    moment = wall.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return moment


def next_free_slot(
    *,
    rules: PublishingRules,
    zone: ZoneInfo,
    after: datetime,
    tier_ids: Sequence[str],
    bookings: Sequence[Booking],
    horizon_days: int = SEARCH_HORIZON_DAYS,
) -> datetime | None:
    """The first slot strictly after `after` that breaks no rule, or None within the horizon."""
    first_day = after.astimezone(zone).date()
    for offset in range(horizon_days + 1):
        day = first_day + timedelta(days=offset)
        for slot in rules.slots:
            candidate = local_moment(day, slot, zone)
            if candidate is None or candidate <= after:
                continue
            if (
                broken_rule(
                    rules=rules,
                    zone=zone,
                    publish_at=candidate,
                    tier_ids=tier_ids,
                    bookings=bookings,
                )
                is None
            ):
                return candidate
    return None


def parse_clock(text: str) -> time:
    """ "HH:MM" (24-hour) as a time; ValueError otherwise."""
    hours, _, minutes = text.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"{text!r} is not a time of day as HH:MM")
    return time(int(hours), int(minutes))
