"""The community's events as an iCalendar (RFC 5545) feed, built with the `icalendar` package."""

from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy.ext.asyncio import AsyncSession

from services.events.calendar import repository
from services.events.events import repository as events_repository
from services.events.events.rules import DEFAULT_TIMEZONE, EventStatus
from services.events.tables import Event

# The latest events by start: a feed is polled often and should stay small.
FEED_EVENTS = 500
PRODUCT_ID = "-//Huoli//Events//ZH"


async def community_calendar(*, session: AsyncSession, community_id: str) -> bytes:
    """The community's published, completed and cancelled events, in its timezone."""
    name = await events_repository.community_timezone(session, community_id) or DEFAULT_TIMEZONE
    events = await repository.calendar_events(session, community_id=community_id, limit=FEED_EVENTS)
    return calendar_of(events, timezone=name, community_id=community_id)


def calendar_of(events: Sequence[Event], *, timezone: str, community_id: str) -> bytes:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Huoli {community_id}")
    calendar.add("x-wr-timezone", zone.key)
    for event in sorted(events, key=lambda item: (item.starts_at, item.id)):
        entry = CalendarEvent()
        # The event id never changes, so a calendar app updates the entry instead of adding one.
        entry.add("uid", f"{event.id}@huoli")
        entry.add("summary", event.title)
        entry.add("dtstamp", event.updated_at)
        entry.add("last-modified", event.updated_at)
        entry.add("created", event.created_at)
        entry.add("dtstart", event.starts_at.astimezone(zone))
        entry.add("dtend", event.ends_at.astimezone(zone))
        entry.add("categories", [event.kind])
        if event.description:
            entry.add("description", event.description)
        if event.location:
            entry.add("location", event.location)
        if event.url:
            entry.add("url", event.url)
        if event.status == EventStatus.CANCELLED:
            entry.add("status", "CANCELLED")
        else:
            entry.add("status", "CONFIRMED")
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
