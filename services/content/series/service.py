"""Recurring series: a series from an RRULE, and its occurrences made into scheduled items
under the publishing rules (at once for the window ahead, then by the series worker). The
caller commits once."""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import InvalidInput
from services.common.events.catalogue import ContentFlagged
from services.common.events.envelope import utc_now
from services.common.fields import in_zone
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess, RoleRequired, access_to_item
from services.common.unit_of_work import UnitOfWork
from services.content.items.rules import (
    EDITOR_ROLES,
    RULE_SETTER_ROLES,
    ContentKind,
    ContentSource,
    ContentStatus,
)
from services.content.items.service import withdraw
from services.content.review.service import rejected_event
from services.content.scheduling.errors import OutOfRange
from services.content.scheduling.rules import Booking, PublishingRules, broken_rule, next_free_slot
from services.content.scheduling.service import (
    SCHEDULE_HORIZON,
    bookings_between,
    calendar_context,
    scheduled_event,
)
from services.content.screening.rules import ScreeningAction
from services.content.screening.service import screen_item
from services.content.series import repository
from services.content.series.errors import InvalidRecurrence, SeriesNotFound
from services.content.series.rules import check_recurrence, occurrences, parse_recurrence
from services.content.series.schemas import SeriesCreate
from services.content.tables import ContentItem, Series, membership

logger = logging.getLogger(__name__)

# How far in the past a series may start.
SERIES_START_PAST = timedelta(days=1)


async def create_series(
    *,
    uow: UnitOfWork,
    access: CommunityAccess,
    community_id: str,
    series_create: SeriesCreate,
    window: timedelta,
) -> tuple[Series, int]:
    """A recurring series; its occurrences within the window are made at once."""
    zone, rules = await calendar_context(uow.session, community_id)
    # A start without an offset is the community's wall-clock time.
    series_create = series_create.model_copy(
        update={"starts_at": in_zone(series_create.starts_at, zone, field="starts_at")}
    )
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
        zone, rules = await calendar_context(uow.session, series.community_id)
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
    bookings = await bookings_between(
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
        # Screened like any other item, under the official source's policy (by default a hit is
        # flagged for a person, links allowed): a hit keeps the occurrence from publishing itself.
        hits, policy = await screen_item(uow.session, item)
        if hits:
            item.screening = [hit.model_dump() for hit in hits]
            item.publish_at = publish_at = None
            if policy.action == ScreeningAction.REJECT:
                item.status = ContentStatus.REJECTED
            else:
                item.status, item.flagged = ContentStatus.IN_REVIEW, True
        values = item.model_dump()
        if not await repository.insert_item_if_absent(uow.session, values):
            continue
        made += 1
        if item.status == ContentStatus.REJECTED:
            await uow.outbox.add(uow.session, rejected_event(item, by=None, at=now, screening=hits))
        elif item.flagged:
            await uow.outbox.add(
                uow.session,
                ContentFlagged(
                    community_id=item.community_id,
                    content_id=item.id,
                    screening=hits,
                    flagged_at=now,
                ),
            )
        if publish_at is not None:
            bookings.append(Booking(publish_at=publish_at, tier_ids=tuple(series.tier_ids)))
            await uow.outbox.add(uow.session, scheduled_event(item, by=None))
    series.materialized_until = max(series.materialized_until or horizon, horizon)
    repository.add_series(uow.session, series)
    return made


async def series_with_access(
    session: AsyncSession, *, actor: Actor, series_id: str, roles: Iterable[str]
) -> Series:
    """The series, for a caller of its community with one of `roles` (SeriesNotFound for a
    stranger or a missing series, RoleRequired for a member without the role)."""
    series = await repository.get_series(session, series_id)
    if series is None:
        raise SeriesNotFound(series_id)
    access = await access_to_item(
        session,
        membership,
        community_id=series.community_id,
        actor=actor,
        hidden=SeriesNotFound(series_id),
    )
    if not access.has_role(roles):
        raise RoleRequired(roles)
    return series


async def get_series(*, session: AsyncSession, actor: Actor, series_id: str) -> Series:
    """A series, for its community's editors."""
    return await series_with_access(session, actor=actor, series_id=series_id, roles=EDITOR_ROLES)


async def list_series(
    *, session: AsyncSession, community_id: str, after_id: str | None, limit: int
) -> Sequence[Series]:
    """A community's series, oldest first (the route admitted an editor)."""
    return await repository.list_series(
        session, community_id=community_id, after_id=after_id, limit=limit
    )


async def pause_series(*, uow: UnitOfWork, actor: Actor, series_id: str) -> Series:
    """Stop a series (owners and admins): it makes no more occurrences, and those not yet
    published are withdrawn (content.withdrawn) and go, so that a resume makes them afresh.
    Pausing a paused series changes nothing."""
    series = await series_with_access(
        uow.session, actor=actor, series_id=series_id, roles=RULE_SETTER_ROLES
    )
    if series.paused_at is None:
        await _withdraw_occurrences(uow, series, reason="series_paused", by=actor.id)
        series.paused_at = utc_now()
        series.materialized_until = None
        repository.add_series(uow.session, series)
    return series


async def resume_series(
    *, uow: UnitOfWork, actor: Actor, series_id: str, window: timedelta
) -> tuple[Series, int]:
    """Start a paused series again (owners and admins): occurrences from now on are made at
    once for the window ahead, as at creation."""
    series = await series_with_access(
        uow.session, actor=actor, series_id=series_id, roles=RULE_SETTER_ROLES
    )
    if series.paused_at is None:
        return series, 0
    series.paused_at = None
    zone, rules = await calendar_context(uow.session, series.community_id)
    made = await materialize_series(
        uow=uow, series=series, now=utc_now(), window=window, zone=zone, rules=rules
    )
    return series, made


async def delete_series(*, uow: UnitOfWork, actor: Actor, series_id: str) -> None:
    """Delete a series (owners and admins): its unpublished occurrences are withdrawn and go;
    published ones stay, naming the series that made them."""
    series = await series_with_access(
        uow.session, actor=actor, series_id=series_id, roles=RULE_SETTER_ROLES
    )
    await _withdraw_occurrences(uow, series, reason="series_deleted", by=actor.id)
    await repository.delete_series(uow.session, series)


async def _withdraw_occurrences(uow: UnitOfWork, series: Series, *, reason: str, by: str) -> None:
    items = await repository.unpublished_occurrences(uow.session, series.id)
    for item in items:
        await withdraw(uow, item, reason=reason, by=by)
    await repository.delete_items(uow.session, items)
