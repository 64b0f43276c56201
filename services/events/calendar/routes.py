"""HTTP endpoints of the iCalendar feed: for members, and at a secret address for calendar apps."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel

from services.common.api.deps import PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.membership.access import CommunityAccess
from services.common.membership.tables import ADMIN, OWNER
from services.events.calendar import service
from services.events.events.schemas import EmptyBody
from services.events.tables import CalendarFeed, membership

router = APIRouter(tags=["events"])

CommunityId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
ManagerDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=(OWNER, ADMIN), writes=True))
]
FeedName = Annotated[str, Path(min_length=5, max_length=80, pattern=r"^[A-Za-z0-9_-]+\.ics$")]

# Typed for generated clients: the answer is iCalendar text, not JSON.
CALENDAR_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The feed, iCalendar (RFC 5545)",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    }
}
CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"


class CalendarFeedPublic(BaseModel):
    community_id: str
    # Relative to the API's base URL, e.g. https://api.example.com + path; no token needed.
    path: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, feed: CalendarFeed) -> "CalendarFeedPublic":
        return cls(
            community_id=feed.community_id,
            path=service.feed_path(feed.token),
            created_by=feed.created_by,
            created_at=feed.created_at,
        )


@router.get(
    "/communities/{community_id}/events.ics",
    response_class=Response,
    responses=CALENDAR_RESPONSE,
)
async def events_calendar(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> Response:
    """The community's events as an iCalendar feed (`text/calendar`), for its members."""
    body = await service.community_calendar(session=session, community_id=community_id)
    return Response(content=body, media_type=CALENDAR_MEDIA_TYPE)


@router.post("/communities/{community_id}/calendar-feed", status_code=status.HTTP_201_CREATED)
async def create_calendar_feed(
    community_id: CommunityId,
    uow: UnitOfWorkDep,
    access: ManagerDep,
    _body: EmptyBody | None = None,
) -> CalendarFeedPublic:
    """A secret address of the community's calendar that a calendar app subscribes to without
    signing in (owner, admin). Asking again makes a new address; the old one stops working."""
    feed = await service.new_feed(uow=uow, access=access, community_id=community_id)
    return CalendarFeedPublic.of(feed)


@router.get("/communities/{community_id}/calendar-feed")
async def get_calendar_feed(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> CalendarFeedPublic:
    """The community's secret calendar address, for its members to subscribe with."""
    return CalendarFeedPublic.of(
        await service.current_feed(session=session, community_id=community_id)
    )


@router.delete("/communities/{community_id}/calendar-feed", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_calendar_feed(
    community_id: CommunityId, uow: UnitOfWorkDep, _access: ManagerDep
) -> None:
    """Revoke the secret address (owner, admin): calendar apps using it get 404 from now on."""
    await service.revoke_feed(uow=uow, community_id=community_id)


@router.get("/calendar-feeds/{feed}", response_class=Response, responses=CALENDAR_RESPONSE)
async def subscribed_calendar(feed: FeedName, session: ReadSessionDep) -> Response:
    """The community's calendar at its secret address (`<token>.ics`), without credentials:
    what calendar apps subscribe to. 404 once revoked."""
    body = await service.calendar_by_token(session=session, feed=feed)
    return Response(content=body, media_type=CALENDAR_MEDIA_TYPE)
