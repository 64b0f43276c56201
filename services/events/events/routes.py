"""HTTP endpoints of events themselves: create, list, read, publish, cancel."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.fields import Timestamp
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.events.events import service
from services.events.events.rules import EventStatus
from services.events.events.schemas import (
    EmptyBody,
    EventCancel,
    EventCreate,
    EventCreatedPublic,
    EventPublic,
    EventUpdate,
)
from services.events.tables import membership

router = APIRouter(tags=["events"])

CommunityId = PathId
EventId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OrganiserDep = Annotated[
    CommunityAccess,
    Depends(require_role(membership, roles=service.ORGANISERS, writes=True)),
]


@router.post("/communities/{community_id}/events", status_code=status.HTTP_201_CREATED)
async def create_event(
    community_id: CommunityId,
    event_create: EventCreate,
    uow: UnitOfWorkDep,
    access: OrganiserDep,
) -> EventCreatedPublic:
    """Create an event as a draft; the answer carries its check-in code. Only the community's
    owner, admins and event officers may."""
    event = await service.create_event(
        uow=uow, actor=access.actor, community_id=community_id, event_create=event_create
    )
    public = service.event_public(event, {})
    return EventCreatedPublic(**public.model_dump(), checkin_code=event.checkin_code)


@router.get("/communities/{community_id}/events")
async def list_events(
    *,
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    member: MemberDep,
    event_status: Annotated[EventStatus | None, Query(alias="status")] = None,
    starts_from: Annotated[Timestamp | None, Query(alias="from")] = None,
    starts_before: Annotated[Timestamp | None, Query(alias="to")] = None,
) -> Page[EventPublic]:
    """A community's events in creation order; `from` and `to` keep those starting in
    [from, to)."""
    rows = await service.list_events(
        session=session,
        community_id=community_id,
        status=event_status,
        starts_from=starts_from,
        starts_before=starts_before,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = await service.events_public(session, rows, viewer=member)
    return Page[EventPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/events/{event_id}")
async def get_event(event_id: EventId, session: ReadSessionDep, actor: ActorDep) -> EventPublic:
    """An event of a community the caller belongs to."""
    event, access = await service.get_event(session=session, actor=actor, event_id=event_id)
    return (await service.events_public(session, [event], viewer=access))[0]


@router.patch("/events/{event_id}")
async def update_event(
    event_id: EventId, event_update: EventUpdate, uow: UnitOfWorkDep, actor: ActorDep
) -> EventPublic:
    """Edit a draft or published event before it starts (organisers): the fields sent, checked
    together with the rest as at creation; a larger capacity seats the waitlist at once."""
    event = await service.update_event(
        uow=uow, actor=actor, event_id=event_id, event_update=event_update
    )
    return (await service.events_public(uow.session, [event]))[0]


@router.post("/events/{event_id}/publish")
async def publish_event(
    event_id: EventId, uow: UnitOfWorkDep, actor: ActorDep, _body: EmptyBody | None = None
) -> EventPublic:
    """Publish a draft event (organisers)."""
    event = await service.publish_event(uow=uow, actor=actor, event_id=event_id)
    return (await service.events_public(uow.session, [event]))[0]


@router.post("/events/{event_id}/cancel")
async def cancel_event(
    event_id: EventId, event_cancel: EventCancel, uow: UnitOfWorkDep, actor: ActorDep
) -> EventPublic:
    """Cancel a draft or published event with a reason (organisers)."""
    event = await service.cancel_event(
        uow=uow, actor=actor, event_id=event_id, event_cancel=event_cancel
    )
    return (await service.events_public(uow.session, [event]))[0]
