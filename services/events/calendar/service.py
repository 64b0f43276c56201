"""The community's events as an iCalendar (RFC 5545) feed, built with the `icalendar` package;
and its secret address, for calendar apps that cannot sign in."""

import secrets
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess
from services.common.unit_of_work import UnitOfWork
from services.events.calendar import repository
from services.events.calendar.errors import FeedNotFound
from services.events.events import repository as events_repository
from services.events.events.rules import DEFAULT_TIMEZONE, EventStatus
from services.events.tables import CalendarFeed, Event

# The latest events by start: a feed is polled often and should stay small.
FEED_EVENTS = 500
PRODUCT_ID = "-//Huoli//Events//ZH"


FEED_SUFFIX = ".ics"


async def community_calendar(*, session: AsyncSession, community_id: str) -> bytes:
    """The community's published, completed and cancelled events, in its timezone, named after
    the community."""
    zone = await events_repository.community_timezone(session, community_id) or DEFAULT_TIMEZONE
    title = await repository.community_name(session, community_id) or f"Huoli {community_id}"
    events = await repository.calendar_events(session, community_id=community_id, limit=FEED_EVENTS)
    return calendar_of(events, timezone=zone, title=title)


def feed_path(token: str) -> str:
    return f"/v1/calendar-feeds/{token}{FEED_SUFFIX}"


async def new_feed(*, uow: UnitOfWork, access: CommunityAccess, community_id: str) -> CalendarFeed:
    """A new secret address for the community's feed; the previous one stops working."""
    token = secrets.token_urlsafe(24)
    await repository.delete_feed(uow.session, community_id)
    await uow.session.flush()
    feed = CalendarFeed(
        community_id=community_id, token=token, created_by=access.actor.id, created_at=utc_now()
    )
    repository.add_feed(uow.session, feed)
    return feed


async def current_feed(*, session: AsyncSession, community_id: str) -> CalendarFeed:
    feed = await repository.feed_of(session, community_id)
    if feed is None:
        raise FeedNotFound(
            "The community has no calendar feed address; an owner or admin makes one."
        )
    return feed


async def revoke_feed(*, uow: UnitOfWork, community_id: str) -> None:
    if not await repository.delete_feed(uow.session, community_id):
        raise FeedNotFound("The community has no calendar feed address.")


async def calendar_by_token(*, session: AsyncSession, feed: str) -> bytes:
    """The feed at a secret address (`<token>.ics`); unknown and revoked ones alike are 404."""
    token = feed.removesuffix(FEED_SUFFIX)
    found = await repository.feed_by_token(session, token) if feed.endswith(FEED_SUFFIX) else None
    if found is None:
        raise FeedNotFound("There is no calendar feed at this address (it may have been revoked).")
    return await community_calendar(session=session, community_id=found.community_id)


def calendar_of(events: Sequence[Event], *, timezone: str, title: str) -> bytes:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", title)
    calendar.add("name", title)
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
