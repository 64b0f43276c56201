"""The content use cases. They change state and write events; the caller commits once."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import InvalidInput
from services.common.events.catalogue import (
    ContentApproved,
    ContentArchived,
    ContentCreated,
    ContentFlagged,
    ContentPublished,
    ContentRejected,
    ContentScheduled,
    ContentSubmitted,
    PollVoted,
    ScreeningHit,
)
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import (
    CommunityAccess,
    CommunityNotFound,
    RoleRequired,
    access_to_item,
)
from services.common.membership.repository import known_member_ids
from services.common.unit_of_work import UnitOfWork
from services.content.api.schemas import (
    ContentCreate,
    ContentReview,
    ContentSchedule,
    ContentUpdate,
    PublishingRulesPut,
    ScreeningSettingsPut,
    SeriesCreate,
    VoteCreate,
)
from services.content.domain.models import (
    EDITABLE_STATUSES,
    EDITOR_ROLES,
    AlreadyVoted,
    ContentKind,
    ContentNotFound,
    ContentSource,
    ContentStatus,
    NotAPoll,
    NotEditable,
    NotYourContent,
    NotYourVote,
    PollNotOpen,
    PublishingRuleBroken,
    ScreeningAction,
    UnknownAuthor,
    UnknownOption,
    target,
)
from services.content.domain.publishing import (
    Booking,
    PublishingRules,
    broken_rule,
    in_quiet_hours,
    next_free_slot,
    parse_clock,
)
from services.content.domain.screening import screener_for
from services.content.domain.series import (
    InvalidRecurrence,
    check_recurrence,
    occurrences,
    parse_recurrence,
)
from services.content.storage import repository
from services.content.storage.tables import (
    ContentItem,
    PollVote,
    PublishingRulesRow,
    ScreeningSettingsRow,
    Series,
    membership,
)

logger = logging.getLogger(__name__)

POLL_MIN_OPTIONS = 2
# How far ahead an item may be scheduled, and where a series may start: bounds that keep the
# date arithmetic (and a series' expansion from its start) finite.
SCHEDULE_HORIZON = timedelta(days=5 * 366)
SERIES_START_PAST = timedelta(days=1)
# Erased authors and actors leave this behind.
ERASED = "erased"


class InvalidPoll(InvalidInput):
    status, slug = 422, "invalid-poll"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="poll_options")


class OutOfRange(InvalidInput):
    status, slug = 422, "out-of-range"

    def __init__(self, field: str, allowed: str) -> None:
        super().__init__(f"{field} must be {allowed}.", field=field)


class InvalidRules(InvalidInput):
    status, slug = 422, "invalid-publishing-rules"


def _check_poll_options(kind: str, options: Sequence[str]) -> None:
    if kind == ContentKind.POLL and len(options) < POLL_MIN_OPTIONS:
        raise InvalidPoll("A poll needs poll_options: 2 to 10 distinct choices.")
    if kind != ContentKind.POLL and options:
        raise InvalidPoll("Only a poll has poll_options.")


# --- items ------------------------------------------------------------------------------------


async def create_content(
    *,
    uow: UnitOfWork,
    access: CommunityAccess,
    community_id: str,
    content_create: ContentCreate,
) -> ContentItem:
    """Create a draft: members write their own member content (UGC); official and partner
    content, or member content in another member's name, needs an editor's role."""
    _check_poll_options(content_create.kind, content_create.poll_options)
    author = content_create.author_member_id
    if content_create.source == ContentSource.MEMBER:
        author = author or access.member_id
        if author is None:  # a platform admin outside the community names the author
            raise InvalidInput(
                "Member content needs author_member_id from a caller who is not a member.",
                field="author_member_id",
            )
        if author != access.member_id and not access.has_role(EDITOR_ROLES):
            raise NotYourContent()
    elif not access.has_role(EDITOR_ROLES):
        raise RoleRequired(EDITOR_ROLES)
    if author is not None and author != access.member_id:
        known = await known_member_ids(
            uow.session, membership, community_id=community_id, member_ids=[author]
        )
        if author not in known:
            raise UnknownAuthor(author)
    now = utc_now()
    item = ContentItem(
        id=new_id("cnt"),
        community_id=community_id,
        **content_create.model_dump(exclude={"author_member_id"}),
        author_member_id=author,
        status=ContentStatus.DRAFT,
        created_by=access.actor.id,
        created_at=now,
        updated_at=now,
    )
    repository.add_content_item(uow.session, item)
    await uow.outbox.add(
        uow.session,
        ContentCreated(
            community_id=community_id,
            content_id=item.id,
            kind=item.kind,
            title=item.title,
            source_kind=item.source,
            author_member_id=item.author_member_id,
            created_at=now,
        ),
    )
    return item


async def _item_with_access(
    session: AsyncSession, actor: Actor, content_id: str, *, for_update: bool = False
) -> tuple[ContentItem, CommunityAccess]:
    item = await repository.get_content_item(session, content_id, for_update=for_update)
    if item is None:
        raise ContentNotFound(content_id)
    access = await access_to_item(
        session,
        membership,
        community_id=item.community_id,
        actor=actor,
        hidden=ContentNotFound(content_id),
    )
    return item, access


def _require_editor(access: CommunityAccess) -> None:
    if not access.has_role(EDITOR_ROLES):
        raise RoleRequired(EDITOR_ROLES)


def _require_author_or_editor(item: ContentItem, access: CommunityAccess) -> None:
    is_author = item.created_by == access.actor.id or (
        access.member_id is not None and item.author_member_id == access.member_id
    )
    if not is_author and not access.has_role(EDITOR_ROLES):
        raise NotYourContent()


async def get_content(
    *, session: AsyncSession, actor: Actor, content_id: str
) -> tuple[ContentItem, dict[str, int] | None]:
    """The item (and a poll's live results), or ContentNotFound, also when the caller is not in
    its community."""
    item, _access = await _item_with_access(session, actor, content_id)
    results = None
    if item.kind == ContentKind.POLL:
        results = await repository.poll_results(session, content_id)
    return item, results


async def update_content(
    *, uow: UnitOfWork, actor: Actor, content_id: str, content_update: ContentUpdate
) -> ContentItem:
    """Edit a draft or rejected item (its author or an editor)."""
    item, access = await _item_with_access(uow.session, actor, content_id, for_update=True)
    _require_author_or_editor(item, access)
    if item.status not in EDITABLE_STATUSES:
        raise NotEditable(item.status)
    changes = content_update.model_dump(exclude_unset=True, exclude_none=True)
    _check_poll_options(item.kind, changes.get("poll_options", item.poll_options))
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = utc_now()
    return item


async def list_content(
    *,
    session: AsyncSession,
    community_id: str,
    kind: ContentKind | None,
    status: ContentStatus | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ContentItem]:
    """A community's content items, oldest first."""
    return await repository.list_content_items(
        session,
        community_id=community_id,
        kind=kind,
        status=status,
        after_id=after_id,
        limit=limit,
    )


# --- review -----------------------------------------------------------------------------------


async def submit_content(*, uow: UnitOfWork, actor: Actor, content_id: str) -> ContentItem:
    """Send an item to review through screening: clean → in_review; a hit → rejected with the
    reasons, or in_review flagged for a person, as the community chose."""
    item, access = await _item_with_access(uow.session, actor, content_id, for_update=True)
    _require_author_or_editor(item, access)
    target("submit", item.status, ContentStatus.IN_REVIEW)
    settings = await repository.get_screening_settings(uow.session, item.community_id)
    screener = screener_for(
        settings.words if settings else {}, settings.allowed_domains if settings else []
    )
    hits = screener.screen([item.title, item.body, *item.tags, *item.poll_options])
    action = ScreeningAction(settings.action) if settings else ScreeningAction.REJECT
    now = utc_now()
    item.screening = [hit.model_dump() for hit in hits]
    item.flagged = bool(hits) and action == ScreeningAction.FLAG
    item.review_reason = None
    item.reviewed_by = None
    item.updated_at = now
    if hits and action == ScreeningAction.REJECT:
        item.status = target("submit", item.status, ContentStatus.REJECTED)
        await uow.outbox.add(uow.session, _rejected(item, by=None, screening=hits, at=now))
        return item
    item.status = ContentStatus.IN_REVIEW
    await uow.outbox.add(
        uow.session,
        ContentSubmitted(
            community_id=item.community_id,
            content_id=item.id,
            kind=item.kind,
            source_kind=item.source,
            author_member_id=item.author_member_id,
            submitted_by=actor.id,
            submitted_at=now,
        ),
    )
    if item.flagged:
        await uow.outbox.add(
            uow.session,
            ContentFlagged(
                community_id=item.community_id, content_id=item.id, screening=hits, flagged_at=now
            ),
        )
    return item


def _rejected(
    item: ContentItem,
    *,
    by: str | None,
    at: datetime,
    screening: list[ScreeningHit] | None = None,
    reason: str | None = None,
) -> ContentRejected:
    return ContentRejected(
        community_id=item.community_id,
        content_id=item.id,
        kind=item.kind,
        source_kind=item.source,
        author_member_id=item.author_member_id,
        rejected_by=by,
        reason=reason,
        screening=screening or [],
        rejected_at=at,
    )


async def approve_content(
    *, uow: UnitOfWork, actor: Actor, content_id: str, review: ContentReview | None
) -> ContentItem:
    """A reviewer approves an item in review."""
    item, access = await _item_with_access(uow.session, actor, content_id, for_update=True)
    _require_editor(access)
    item.status = target("approve", item.status, ContentStatus.APPROVED)
    now = utc_now()
    item.reviewed_by, item.updated_at = actor.id, now
    item.review_reason = review.reason if review else None
    await uow.outbox.add(
        uow.session,
        ContentApproved(
            community_id=item.community_id,
            content_id=item.id,
            kind=item.kind,
            source_kind=item.source,
            author_member_id=item.author_member_id,
            approved_by=actor.id,
            approved_at=now,
        ),
    )
    return item


async def reject_content(
    *, uow: UnitOfWork, actor: Actor, content_id: str, review: ContentReview | None
) -> ContentItem:
    """A reviewer rejects an item in review; its author may edit it and submit again."""
    item, access = await _item_with_access(uow.session, actor, content_id, for_update=True)
    _require_editor(access)
    item.status = target("reject", item.status, ContentStatus.REJECTED)
    now = utc_now()
    reason = review.reason if review else None
    item.reviewed_by, item.review_reason, item.updated_at = actor.id, reason, now
    await uow.outbox.add(uow.session, _rejected(item, by=actor.id, at=now, reason=reason))
    return item


# --- rules ------------------------------------------------------------------------------------


def rules_of(row: PublishingRulesRow | None) -> PublishingRules:
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
    await repository.save_row(
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


async def get_screening_settings(
    *, session: AsyncSession, community_id: str
) -> ScreeningSettingsPut:
    row = await repository.get_screening_settings(session, community_id)
    if row is None:
        return ScreeningSettingsPut()
    return ScreeningSettingsPut.model_validate(row, from_attributes=True)


async def set_screening_settings(
    *, uow: UnitOfWork, community_id: str, settings: ScreeningSettingsPut
) -> None:
    """Replace the community's screening settings; the next submit screens with them."""
    await repository.save_row(
        uow.session,
        ScreeningSettingsRow(
            community_id=community_id,
            action=settings.action,
            words={rule: list(words) for rule, words in settings.words.items()},
            allowed_domains=list(settings.allowed_domains),
            updated_at=utc_now(),
        ),
    )


# --- scheduling and publishing ----------------------------------------------------------------


async def _calendar_context(
    session: AsyncSession, community_id: str
) -> tuple[ZoneInfo, PublishingRules]:
    zone = _zone(await repository.lock_community_timezone(session, community_id), community_id)
    return zone, rules_of(await repository.get_publishing_rules(session, community_id))


async def _bookings(
    session: AsyncSession,
    community_id: str,
    *,
    start: datetime,
    end: datetime | None,
    excluding: str | None,
) -> list[Booking]:
    rows = await repository.booked_items(
        session, community_id=community_id, start=start, end=end, excluding=excluding
    )
    return [Booking(publish_at=at, tier_ids=tuple(tiers)) for at, tiers in rows]


async def schedule_content(
    *, uow: UnitOfWork, actor: Actor, content_id: str, schedule: ContentSchedule | None
) -> ContentItem:
    """Put an approved item on the calendar at the time given, or at the next free slot."""
    item, access = await _item_with_access(uow.session, actor, content_id, for_update=True)
    _require_editor(access)
    target("schedule", item.status, ContentStatus.SCHEDULED)
    zone, rules = await _calendar_context(uow.session, item.community_id)
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
        bookings = await _bookings(
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
        bookings = await _bookings(
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
    await uow.outbox.add(uow.session, _scheduled(item, by=actor.id))
    return item


def _scheduled(item: ContentItem, *, by: str | None) -> ContentScheduled:
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


def _published(item: ContentItem, *, scheduled_at: datetime | None) -> ContentPublished:
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
    )


async def publish_content(*, uow: UnitOfWork, actor: Actor, content_id: str) -> ContentItem:
    """Publish an approved or scheduled item now (an editor's decision: no slot rules)."""
    item, access = await _item_with_access(uow.session, actor, content_id, for_update=True)
    _require_editor(access)
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
    item, access = await _item_with_access(uow.session, actor, content_id, for_update=True)
    _require_editor(access)
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


# --- series -----------------------------------------------------------------------------------


async def create_series(
    *,
    uow: UnitOfWork,
    access: CommunityAccess,
    community_id: str,
    series_create: SeriesCreate,
    window: timedelta,
) -> tuple[Series, int]:
    """A recurring series; its occurrences within the window are made at once."""
    zone, rules = await _calendar_context(uow.session, community_id)
    now = utc_now()
    if not now - SERIES_START_PAST <= series_create.starts_at <= now + SCHEDULE_HORIZON:
        raise OutOfRange("starts_at", "from a day ago to five years ahead")
    await check_recurrence(series_create.rrule, starts_at=series_create.starts_at, zone=zone)
    if series_create.kind == ContentKind.POLL:
        raise InvalidInput("A series cannot be made of polls.", field="kind")
    series = Series(
        id=new_id("ser"),
        community_id=community_id,
        **series_create.model_dump(),
        created_by=access.actor.id,
        created_at=now,
    )
    repository.add_series(uow.session, series)
    made = await materialize_series(
        uow=uow, series=series, now=now, window=window, zone=zone, rules=rules
    )
    return series, made


async def materialize_all_series(*, uow: UnitOfWork, now: datetime, window: timedelta) -> int:
    """Make every series' occurrences up to `now + window`; returns how many were made."""
    made = 0
    for series in await repository.all_series(uow.session):
        zone, rules = await _calendar_context(uow.session, series.community_id)
        try:
            made += await materialize_series(
                uow=uow, series=series, now=now, window=window, zone=zone, rules=rules
            )
        except InvalidRecurrence:
            # Checked when the series was made; should a stored rule stop reading (a newer
            # dateutil, say), one bad series must not stop the others.
            logger.warning("series %s: its rule no longer reads; skipped", series.id)
    return made


async def materialize_series(
    *,
    uow: UnitOfWork,
    series: Series,
    now: datetime,
    window: timedelta,
    zone: ZoneInfo,
    rules: PublishingRules,
) -> int:
    """Make the series' occurrences up to `now + window` into scheduled items, each once
    (unique series_id, occurrence_at), each under the publishing rules: an occurrence at a time
    the rules forbid takes the next free slot after it. Returns how many it made."""
    rule = parse_recurrence(series.rrule, starts_at=series.starts_at, zone=zone)
    horizon = now + window
    made_before = await repository.occurrences_made(uow.session, series_id=series.id, start=now)
    margin = timedelta(days=2)
    bookings = await _bookings(
        uow.session, series.community_id, start=now - margin, end=None, excluding=None
    )
    made = 0
    for occurrence in occurrences(rule, after=now, until=horizon):
        if occurrence in made_before:
            continue
        publish_at: datetime | None = occurrence
        if broken_rule(
            rules=rules,
            zone=zone,
            publish_at=occurrence,
            tier_ids=series.tier_ids,
            bookings=bookings,
        ):
            publish_at = next_free_slot(
                rules=rules,
                zone=zone,
                after=occurrence,
                tier_ids=series.tier_ids,
                bookings=bookings,
            )
        local_date = occurrence.astimezone(zone).date().isoformat()
        item = ContentItem(
            id=new_id("cnt"),
            community_id=series.community_id,
            kind=series.kind,
            title=series.title,
            body=series.body_template.replace("{date}", local_date),
            source=ContentSource.OFFICIAL,
            tier_ids=list(series.tier_ids),
            # No free slot within a year: the occurrence waits, approved, for a person.
            status=ContentStatus.SCHEDULED if publish_at else ContentStatus.APPROVED,
            publish_at=publish_at,
            series_id=series.id,
            occurrence_at=occurrence,
            created_by=series.created_by,
            created_at=now,
            updated_at=now,
        )
        values = item.model_dump()
        if not await repository.insert_item_if_absent(uow.session, values):
            continue
        made += 1
        if publish_at is not None:
            bookings.append(Booking(publish_at=publish_at, tier_ids=tuple(series.tier_ids)))
            await uow.outbox.add(uow.session, _scheduled(item, by=None))
    series.materialized_until = max(series.materialized_until or horizon, horizon)
    uow.session.add(series)
    return made


# --- polls ------------------------------------------------------------------------------------


async def vote(
    *, uow: UnitOfWork, actor: Actor, content_id: str, vote_create: VoteCreate
) -> tuple[PollVote, ContentItem, dict[str, int]]:
    """A member's one vote in a published poll."""
    item, access = await _item_with_access(uow.session, actor, content_id)
    if access.member_id is None or vote_create.member_id != access.member_id:
        raise NotYourVote()
    if item.kind != ContentKind.POLL:
        raise NotAPoll(content_id)
    if item.status != ContentStatus.PUBLISHED:
        raise PollNotOpen(item.status)
    if vote_create.option not in item.poll_options:
        raise UnknownOption(vote_create.option, list(item.poll_options))
    ballot = PollVote(
        content_id=item.id,
        member_id=vote_create.member_id,
        community_id=item.community_id,
        option=vote_create.option,
        voted_at=utc_now(),
    )
    if not await repository.add_vote(uow.session, ballot):
        raise AlreadyVoted(vote_create.member_id)
    await uow.outbox.add(
        uow.session,
        PollVoted(
            community_id=item.community_id,
            content_id=item.id,
            member_id=ballot.member_id,
            option=ballot.option,
            voted_at=ballot.voted_at,
        ),
    )
    return ballot, item, await repository.poll_results(uow.session, content_id)


# --- from other services' events --------------------------------------------------------------

# Activity types that count towards an item's engagement, and the counter each feeds.
ENGAGEMENT_OF_ACTIVITY = {
    "content_view": "views",
    "view": "views",
    "reaction": "reactions",
    "reply": "comments",
    "comment": "comments",
    "share": "shares",
}


async def count_activity(
    *, uow: UnitOfWork, community_id: str, content_id: str | None, activity_type: str
) -> None:
    """Count an activity on an item of the same community towards its engagement."""
    counter = ENGAGEMENT_OF_ACTIVITY.get(activity_type)
    if content_id is None or counter is None:
        return
    await repository.count_engagement(
        uow.session, community_id=community_id, content_id=content_id, counter=counter
    )


async def erase_author(*, uow: UnitOfWork, community_id: str, member_id: str, user_id: str) -> None:
    """Anonymise a user's authorship in a community; the content stays."""
    await repository.anonymise_author(
        uow.session,
        community_id=community_id,
        member_id=member_id,
        user_id=user_id,
        tombstone=ERASED,
        vote_tombstone=new_id(ERASED),
    )
