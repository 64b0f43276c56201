"""The events use cases. They change state and write events; the caller commits once."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import EventCreated
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership import access_to_item
from services.common.unit_of_work import UnitOfWork
from services.events.api.schemas import EventCreate
from services.events.domain.models import (
    EventNotFound,
    EventStatus,
    new_checkin_code,
)
from services.events.storage import repository
from services.events.storage.tables import Event, membership


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


async def get_event(*, session: AsyncSession, actor: Actor, event_id: str) -> Event:
    """The event, or EventNotFound (also when the caller is not in its community)."""
    event = await repository.get_event(session, event_id)
    if event is None:
        raise EventNotFound(event_id)
    await access_to_item(
        session,
        membership,
        community_id=event.community_id,
        actor=actor,
        hidden=EventNotFound(event_id),
    )
    return event


async def list_events(
    *,
    session: AsyncSession,
    community_id: str,
    status: EventStatus | None,
    after_id: str | None,
    limit: int,
) -> Sequence[Event]:
    """A community's events, oldest first."""
    return await repository.list_events(
        session, community_id=community_id, status=status, after_id=after_id, limit=limit
    )
