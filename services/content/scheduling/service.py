"""Scheduling and publishing: a community's publishing rules, putting an approved item on the
calendar, publishing (now, or by the publisher when due), archiving, and the calendar itself.
The caller commits once."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import InvalidInput
from services.common.events.catalogue import (
    ContentArchived,
    ContentCreated,
    ContentFlagged,
    ContentPublished,
    ContentScheduled,
    DomainEvent,
)
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess, CommunityNotFound
from services.common.unit_of_work import UnitOfWork
from services.content.items import repository as items_repository
from services.content.items.rules import (
    MOVES,
    ContentKind,
    ContentSource,
    ContentStatus,
    target,
)
from services.content.items.service import item_with_access, require_editor
from services.content.scheduling import repository
from services.content.scheduling.errors import InvalidRules, OutOfRange, PublishingRuleBroken
from services.content.scheduling.rules import (
    Booking,
    PublishingRules,
    broken_rule,
    in_quiet_hours,
    next_free_slot,
    parse_clock,
)
from services.content.scheduling.schemas import (
    ContentSchedule,
    PublishingRulesPut,
    UrgentAnnouncement,
)
from services.content.screening.service import screen_item
from services.content.tables import ContentItem, PublishingRulesRow

# How far ahead an item may be scheduled, and where a series may start: bounds that keep the
# date arithmetic (and a series' expansion from its start) finite.
SCHEDULE_HORIZON = timedelta(days=5 * 366)


def rules_of(row: PublishingRulesRow | None) -> PublishingRules:
    """The rules a stored row says, or the defaults for a community without one."""
    if row is None:
        return PublishingRules()
    quiet = None
    if row.quiet_hours is not None:
        quiet = (parse_clock(row.quiet_hours[0]), parse_clock(row.quiet_hours[1]))
    return PublishingRules(
        slots=tuple(sorted(parse_clock(slot) for slot in row.slots)),
        max_per_day=row.max_per_day,
        min_gap_minutes=row.min_gap_minutes,
        quiet_hours=quiet,
    )


def _zone(name: str | None, community_id: str) -> ZoneInfo:
    if name is None:
        raise CommunityNotFound(community_id)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # The members service validates timezones; an unknown one here is UTC, not a 500.
        return ZoneInfo("UTC")


async def get_publishing_rules(
    *, session: AsyncSession, community_id: str
) -> tuple[PublishingRulesPut, str]:
    """The community's publishing rules (the defaults until set) and its timezone."""
    row = await repository.get_publishing_rules(session, community_id)
    timezone = await repository.community_timezone(session, community_id)
    rules = (
        PublishingRulesPut()
        if row is None
        else PublishingRulesPut.model_validate(row, from_attributes=True)
    )
    return rules, timezone or "UTC"


async def set_publishing_rules(
    *, uow: UnitOfWork, community_id: str, rules: PublishingRulesPut
) -> None:
    """Replace the community's publishing rules (items already scheduled keep their times)."""
    slots = [parse_clock(slot) for slot in rules.slots]
    if rules.quiet_hours is not None:
        quiet = (parse_clock(rules.quiet_hours[0]), parse_clock(rules.quiet_hours[1]))
        inside = [slot for slot in slots if in_quiet_hours(slot, quiet)]
        if inside:
            raise InvalidRules(f"Slot {inside[0]:%H:%M} falls in the quiet hours.", field="slots")
    await repository.save_publishing_rules(
        uow.session,
        PublishingRulesRow(
            community_id=community_id,
            slots=list(rules.slots),
            max_per_day=rules.max_per_day,
            min_gap_minutes=rules.min_gap_minutes,
            quiet_hours=list(rules.quiet_hours) if rules.quiet_hours is not None else None,
            updated_at=utc_now(),
        ),
    )


async def calendar_context(
    session: AsyncSession, community_id: str
) -> tuple[ZoneInfo, PublishingRules]:
    """The community's timezone and publishing rules, its projection row locked (PostgreSQL) so
    that decisions about its calendar are taken one at a time."""
    zone = _zone(await repository.lock_community_timezone(session, community_id), community_id)
    return zone, rules_of(await repository.get_publishing_rules(session, community_id))


async def bookings_between(
    session: AsyncSession,
    community_id: str,
    *,
    start: datetime,
    end: datetime | None,
    excluding: str | None,
) -> list[Booking]:
    """The community's scheduled and published items in [start, end], as the rules see them."""
    rows = await repository.booked_items(
        session, community_id=community_id, start=start, end=end, excluding=excluding
    )
    return [Booking(publish_at=at, tier_ids=tuple(tiers)) for at, tiers in rows]


async def schedule_content(
    *, uow: UnitOfWork, actor: Actor, content_id: str, schedule: ContentSchedule | None
) -> ContentItem:
    """Put an approved item on the calendar at the time given, or at the next free slot."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    require_editor(access)
    target("schedule", item.status, ContentStatus.SCHEDULED)
    zone, rules = await calendar_context(uow.session, item.community_id)
    now = utc_now()
    wanted = schedule.publish_at if schedule else None
    # A day on either side covers the gap and the local day, whatever the offset.
    margin = timedelta(days=2)
    if wanted is not None:
        if wanted > now + SCHEDULE_HORIZON:
            raise OutOfRange("publish_at", "at most five years ahead")
        if wanted <= now:
            raise PublishingRuleBroken(
                "in_the_past", f"{wanted.isoformat()} has passed; publish now instead."
            )
        bookings = await bookings_between(
            uow.session,
            item.community_id,
            start=wanted - margin,
            end=wanted + margin,
            excluding=item.id,
        )
        broken = broken_rule(
            rules=rules, zone=zone, publish_at=wanted, tier_ids=item.tier_ids, bookings=bookings
        )
        if broken is not None:
            raise PublishingRuleBroken(broken.rule, broken.detail)
        publish_at = wanted
    else:
        bookings = await bookings_between(
            uow.session, item.community_id, start=now - margin, end=None, excluding=item.id
        )
        found = next_free_slot(
            rules=rules, zone=zone, after=now, tier_ids=item.tier_ids, bookings=bookings
        )
        if found is None:
            raise PublishingRuleBroken(
                "no_free_slot", "No slot within a year keeps the publishing rules."
            )
        publish_at = found
    item.status, item.publish_at, item.updated_at = ContentStatus.SCHEDULED, publish_at, now
    await uow.outbox.add(uow.session, scheduled_event(item, by=actor.id))
    return item


def scheduled_event(item: ContentItem, *, by: str | None) -> ContentScheduled:
    """content.scheduled for an item just put on the calendar (`by` None: by a series)."""
    assert item.publish_at is not None
    return ContentScheduled(
        community_id=item.community_id,
        content_id=item.id,
        kind=item.kind,
        title=item.title,
        tier_ids=list(item.tier_ids),
        publish_at=item.publish_at,
        series_id=item.series_id,
        scheduled_by=by,
    )


async def publish_urgent(
    *, uow: UnitOfWork, access: CommunityAccess, community_id: str, urgent: UrgentAnnouncement
) -> ContentItem:
    """An urgent announcement (紧急通知) by an owner or admin (the route admits only them),
    published at once: no slot, no review queue. It is still screened, and a hit flags it
    (`content.flagged`) for the record instead of rejecting it: in a crisis the stewards
    speak."""
    now = utc_now()
    item = ContentItem(
        id=new_id("cnt"),
        community_id=community_id,
        kind=ContentKind.ANNOUNCEMENT,
        title=urgent.title,
        body=urgent.body,
        tags=list(urgent.tags),
        source=ContentSource.OFFICIAL,
        tier_ids=list(urgent.tier_ids),
        poll_options=[],
        status=ContentStatus.PUBLISHED,
        created_by=access.actor.id,
        created_at=now,
        updated_at=now,
        publish_at=now,
        published_at=now,
    )
    hits, _ = await screen_item(uow.session, item)
    item.screening = [hit.model_dump() for hit in hits]
    item.flagged = bool(hits)
    items_repository.add_content_item(uow.session, item)
    events: list[DomainEvent] = [
        ContentCreated(
            community_id=community_id,
            content_id=item.id,
            kind=item.kind,
            title=item.title,
            source_kind=item.source,
            author_member_id=None,
            created_at=now,
        ),
        _published(item, scheduled_at=None, urgent=True),
    ]
    if hits:
        events.append(
            ContentFlagged(
                community_id=community_id, content_id=item.id, screening=hits, flagged_at=now
            )
        )
    await uow.outbox.add_many(uow.session, events)
    return item


def _published(
    item: ContentItem, *, scheduled_at: datetime | None, urgent: bool = False
) -> ContentPublished:
    assert item.published_at is not None
    return ContentPublished(
        community_id=item.community_id,
        content_id=item.id,
        kind=item.kind,
        title=item.title,
        source_kind=item.source,
        author_member_id=item.author_member_id,
        tier_ids=list(item.tier_ids),
        scheduled_at=scheduled_at,
        published_at=item.published_at,
        late=item.late,
        urgent=urgent,
    )


async def publish_content(*, uow: UnitOfWork, actor: Actor, content_id: str) -> ContentItem:
    """Publish an approved or scheduled item now (an editor's decision: no slot rules)."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    require_editor(access)
    scheduled_at = item.publish_at if item.status == ContentStatus.SCHEDULED else None
    item.status = target("publish", item.status, ContentStatus.PUBLISHED)
    now = utc_now()
    item.published_at, item.updated_at, item.late = now, now, False
    if item.publish_at is None or scheduled_at is None:
        item.publish_at = now
    else:
        item.publish_at = min(item.publish_at, now)
    await uow.outbox.add(uow.session, _published(item, scheduled_at=scheduled_at))
    return item


async def archive_content(*, uow: UnitOfWork, actor: Actor, content_id: str) -> ContentItem:
    """Take a published item off the calendar."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    require_editor(access)
    item.status = target("archive", item.status, ContentStatus.ARCHIVED)
    item.updated_at = utc_now()
    await uow.outbox.add(
        uow.session,
        ContentArchived(
            community_id=item.community_id,
            content_id=item.id,
            archived_by=actor.id,
            archived_at=item.updated_at,
        ),
    )
    return item


async def archive_for_case(
    *, uow: UnitOfWork, community_id: str, content_id: str, case_id: str, resolved_by: str
) -> ContentItem | None:
    """Archive the item a moderation case was resolved `archive_content` on (members'
    case.resolved), announced with the case and the author to tell. Nothing for an item of
    another community, one gone, or one members could not see or already archived: the case
    stands as resolved."""
    item = await items_repository.get_content_item(uow.session, content_id, for_update=True)
    if item is None or item.community_id != community_id:
        return None
    if ContentStatus(item.status) not in MOVES["moderate"]:
        return None
    item.status = ContentStatus.ARCHIVED
    item.updated_at = utc_now()
    await uow.outbox.add(
        uow.session,
        ContentArchived(
            community_id=item.community_id,
            content_id=item.id,
            archived_by=resolved_by,
            archived_at=item.updated_at,
            case_id=case_id,
            author_member_id=None if item.author_erased else item.author_member_id,
        ),
    )
    return item


async def publish_due_items(
    *, uow: UnitOfWork, now: datetime, late_after: timedelta, limit: int
) -> int:
    """Publish the scheduled items whose time has come, each exactly once, with
    content.published (late when the publisher comes to it more than `late_after` after its
    time, after downtime). Returns how many."""
    items = await repository.claim_due_items(
        uow.session, now=now, late_before=now - late_after, limit=limit
    )
    await uow.outbox.add_many(
        uow.session, [_published(item, scheduled_at=item.publish_at) for item in items]
    )
    return len(items)


async def calendar(
    *,
    session: AsyncSession,
    community_id: str,
    start: datetime | None,
    end: datetime | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ContentItem]:
    """Scheduled and published items, by publish time."""
    if start is not None and end is not None and end <= start:
        raise InvalidInput("`to` must be after `from`.", field="to")
    return await repository.calendar_items(
        session, community_id=community_id, start=start, end=end, after_id=after_id, limit=limit
    )
