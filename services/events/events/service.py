"""The events use cases: creating events and moving them through their lifecycle (draft →
published → completed, or cancelled), and who may see or organise an event. They change state
and write events; the caller commits once."""

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import (
    EventCancelled,
    EventCompleted,
    EventCreated,
    EventPublished,
    EventUpdated,
)
from services.common.events.catalogue.vocabulary import USER_ID_VIEWERS
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess, RoleRequired, access_to_item
from services.common.membership.tables import ADMIN, EVENT_OFFICER, OWNER
from services.common.unit_of_work import UnitOfWork
from services.events.attendance import repository as attendance_repository
from services.events.attendance.rules import new_checkin_code
from services.events.events import repository
from services.events.events.errors import (
    CapacityBelowSeats,
    EventNotFound,
    EventStarted,
    IllegalTransition,
    InvalidEdit,
)
from services.events.events.rules import EventStatus
from services.events.events.schemas import EventCancel, EventCreate, EventPublic, EventUpdate
from services.events.registrations import repository as registrations_repository
from services.events.registrations.rules import SEAT_HOLDING, RegistrationStatus
from services.events.tables import Event, membership

ORGANISERS = (OWNER, ADMIN, EVENT_OFFICER)


async def create_event(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    event_create: EventCreate,
) -> Event:
    """Create a draft event, with a fresh check-in code, in a community where the caller was
    admitted as an organiser."""
    now = utc_now()
    fields = event_create.model_dump()
    # Stored in UTC anyway; normalising here makes this answer match every later read.
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        fields[name] = _in_utc(fields[name])
    event = Event(
        id=new_id("evt"),
        community_id=community_id,
        **fields,
        status=EventStatus.DRAFT,
        checkin_code=new_checkin_code(),
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    repository.add_event(uow.session, event)
    # The check-in code stays out of the event: webhooks and other services must not learn it.
    await uow.outbox.add(
        uow.session,
        EventCreated(
            community_id=community_id,
            event_id=event.id,
            title=event.title,
            kind=event.kind,
            format=event.format,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            capacity=event.capacity,
        ),
    )
    return event


def _in_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


async def get_event(
    *, session: AsyncSession, actor: Actor, event_id: str
) -> tuple[Event, CommunityAccess]:
    """The event and the caller's admission, or EventNotFound (also when the caller is not in
    its community)."""
    return await event_with_access(session=session, actor=actor, event_id=event_id)


async def event_with_access(
    *, session: AsyncSession, actor: Actor, event_id: str, lock: bool = False
) -> tuple[Event, CommunityAccess]:
    """The event (its row locked when `lock`) and the caller's admission to its community;
    EventNotFound alike for a missing event and for one the caller may not see."""
    if lock:
        event = await repository.lock_event(session, event_id)
    else:
        event = await repository.get_event(session, event_id)
    if event is None:
        raise EventNotFound(event_id)
    access = await access_to_item(
        session,
        membership,
        community_id=event.community_id,
        actor=actor,
        hidden=EventNotFound(event_id),
    )
    return event, access


async def organised_event(
    *, session: AsyncSession, actor: Actor, event_id: str, lock: bool = False
) -> Event:
    """The event, for one of its community's organisers (RoleRequired, a 403, otherwise)."""
    event, access = await event_with_access(
        session=session, actor=actor, event_id=event_id, lock=lock
    )
    if not access.has_role(ORGANISERS):
        raise RoleRequired(ORGANISERS)
    return event


async def publish_event(*, uow: UnitOfWork, actor: Actor, event_id: str) -> Event:
    """Publish a draft: members can see it in the calendar and register."""
    event = await organised_event(session=uow.session, actor=actor, event_id=event_id, lock=True)
    if event.status != EventStatus.DRAFT:
        raise IllegalTransition(event_id=event_id, status=event.status, action="published")
    now = utc_now()
    event.status, event.updated_at = EventStatus.PUBLISHED, now
    await uow.outbox.add(
        uow.session,
        EventPublished(
            community_id=event.community_id,
            event_id=event.id,
            title=event.title,
            kind=event.kind,
            format=event.format,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            capacity=event.capacity,
            tier_ids=event.tier_ids,
            published_at=now,
        ),
    )
    return event


async def cancel_event(
    *, uow: UnitOfWork, actor: Actor, event_id: str, event_cancel: EventCancel
) -> Event:
    """Call off a draft or published event; `event.cancelled` names everyone registered."""
    event = await organised_event(session=uow.session, actor=actor, event_id=event_id, lock=True)
    if event.status not in (EventStatus.DRAFT, EventStatus.PUBLISHED):
        raise IllegalTransition(event_id=event_id, status=event.status, action="cancelled")
    now = utc_now()
    event.status, event.updated_at = EventStatus.CANCELLED, now
    event.cancel_reason = event_cancel.reason
    registrants = await registrations_repository.registrant_member_ids(uow.session, event.id)
    await uow.outbox.add(
        uow.session,
        EventCancelled(
            community_id=event.community_id,
            event_id=event.id,
            reason=event_cancel.reason,
            registrant_member_ids=registrants,
            cancelled_by=actor.id,
            cancelled_at=now,
        ),
    )
    return event


async def complete_event(*, uow: UnitOfWork, event_id: str) -> bool:
    """Complete a published event that reached its end; False if it is no longer published
    (another replica completed it first, or it was cancelled)."""
    now = utc_now()
    changed = await repository.change_event_status(
        uow.session,
        event_id=event_id,
        from_status=EventStatus.PUBLISHED,
        to_status=EventStatus.COMPLETED,
        now=now,
    )
    if not changed:
        return False
    event = await repository.get_event(uow.session, event_id)
    assert event is not None  # the update above just changed its row
    counts = await registrations_repository.count_registrations(uow.session, event_id)
    await uow.outbox.add(
        uow.session,
        EventCompleted(
            community_id=event.community_id,
            event_id=event_id,
            kind=event.kind,
            registered=sum(counts.get(status, 0) for status in SEAT_HOLDING),
            attended=await attendance_repository.attended_count(uow.session, event_id),
            completed_at=now,
        ),
    )
    return True


async def list_events(
    *,
    session: AsyncSession,
    community_id: str,
    status: EventStatus | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
    after_id: str | None,
    limit: int,
) -> Sequence[Event]:
    """A community's events, oldest first, optionally only those starting in [from, to)."""
    return await repository.list_events(
        session,
        community_id=community_id,
        status=status,
        starts_from=starts_from,
        starts_before=starts_before,
        after_id=after_id,
        limit=limit,
    )


# The fields EventCreate checks that an edit may change; kind and format stay what they were.
_EDITABLE = tuple(EventUpdate.model_fields)


async def update_event(
    *, uow: UnitOfWork, actor: Actor, event_id: str, event_update: EventUpdate
) -> Event:
    """Edit a draft or published event before it starts (organisers). The result is checked
    as a whole, as at creation; a capacity never drops below the seats taken, and a larger one
    goes to the waitlist at once."""
    # Imported here: registrations' use cases build on this module's (event_with_access), so
    # a module-level import would be circular; only an edit hands seats out.
    from services.events.registrations.service import fill_free_seats  # noqa: PLC0415

    session = uow.session
    event = await organised_event(session=session, actor=actor, event_id=event_id, lock=True)
    if event.status not in (EventStatus.DRAFT, EventStatus.PUBLISHED):
        raise IllegalTransition(event_id=event_id, status=event.status, action="edited")
    now = utc_now()
    if now >= event.starts_at:
        raise EventStarted(event_id=event_id, starts_at=event.starts_at)
    # As JSON, as a request would carry them: EventCreate reads timestamps only as text.
    current = {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in ((name, getattr(event, name)) for name in (*_EDITABLE, "kind", "format"))
    }
    try:
        merged = EventCreate.model_validate(
            {**current, **event_update.model_dump(mode="json", exclude_unset=True)}
        )
    except ValidationError as exc:
        raise InvalidEdit(
            [
                {"loc": ["body", *err["loc"]], "msg": err["msg"], "type": err["type"]}
                for err in exc.errors(include_url=False, include_context=False)
            ]
        ) from exc
    if merged.capacity is not None:
        held = await registrations_repository.seats_held(session, event.id)
        if merged.capacity < held:
            raise CapacityBelowSeats(capacity=merged.capacity, seats_held=held)
    changed = []
    for name in _EDITABLE:
        value = getattr(merged, name)
        value = _in_utc(value) if isinstance(value, datetime) else value
        if value != getattr(event, name):
            changed.append(name)
            setattr(event, name, value)
    event.updated_at = now
    await session.flush()
    if changed:
        await uow.outbox.add(
            session,
            EventUpdated(
                community_id=event.community_id,
                event_id=event.id,
                title=event.title,
                status=event.status,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                location=event.location,
                url=event.url,
                capacity=event.capacity,
                tier_ids=list(event.tier_ids),
                changed=changed,
                updated_by=actor.id,
                updated_at=now,
            ),
        )
    if event.status == EventStatus.PUBLISHED:
        await fill_free_seats(uow, event, now=now)
    return event


async def events_public(
    session: AsyncSession, events: Sequence[Event], *, viewer: CommunityAccess | None = None
) -> list[EventPublic]:
    """The events as members see them, with their seats counted; for a `viewer` who is not
    staff, `created_by` (a user id) only when it is theirs. Organisers' own answers (no
    viewer) show it."""
    counts = await registrations_repository.counts_by_event(session, [e.id for e in events])
    publics = [event_public(event, counts.get(event.id, {})) for event in events]
    if viewer is None or viewer.has_role(USER_ID_VIEWERS):
        return publics
    return [
        public
        if public.created_by == viewer.actor.id
        else public.model_copy(update={"created_by": None})
        for public in publics
    ]


def event_public(event: Event, counts: dict[str, int]) -> EventPublic:
    confirmed = sum(counts.get(status, 0) for status in SEAT_HOLDING)
    seats_left = None if event.capacity is None else max(event.capacity - confirmed, 0)
    return EventPublic.model_validate(
        {
            **{
                name: getattr(event, name)
                for name in EventPublic.model_fields
                if hasattr(event, name)
            },
            "confirmed": confirmed,
            "waitlisted": counts.get(RegistrationStatus.WAITLISTED, 0),
            "seats_left": seats_left,
        }
    )
