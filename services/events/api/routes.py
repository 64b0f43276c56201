"""HTTP endpoints of the events service."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.auth import ActorDep
from services.common.fields import PathId
from services.common.membership import (
    ADMIN,
    EVENT_OFFICER,
    OWNER,
    CommunityAccess,
    require_member,
    require_role,
)
from services.common.pagination import Page, PageDep
from services.common.service import ReadSessionDep, UnitOfWorkDep
from services.events.api.schemas import EventCreate, EventCreatedPublic, EventPublic
from services.events.domain import use_cases
from services.events.domain.models import EventStatus
from services.events.storage.tables import membership

router = APIRouter(tags=["events"])

CommunityId = PathId
EventId = PathId
ORGANISERS = (OWNER, ADMIN, EVENT_OFFICER)
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OrganiserDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=ORGANISERS, writes=True))
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
    event = await use_cases.create_event(
        uow=uow, actor=access.actor, community_id=community_id, event_create=event_create
    )
    return EventCreatedPublic.model_validate(event, from_attributes=True)


@router.get("/communities/{community_id}/events")
async def list_events(
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    _member: MemberDep,
    event_status: Annotated[EventStatus | None, Query(alias="status")] = None,
) -> Page[EventPublic]:
    """A community's events, oldest first."""
    rows = await use_cases.list_events(
        session=session,
        community_id=community_id,
        status=event_status,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [EventPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page[EventPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/events/{event_id}")
async def get_event(event_id: EventId, session: ReadSessionDep, actor: ActorDep) -> EventPublic:
    """An event of a community the caller belongs to."""
    event = await use_cases.get_event(session=session, actor=actor, event_id=event_id)
    return EventPublic.model_validate(event, from_attributes=True)
