"""HTTP endpoint of the iCalendar feed."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.common.api.deps import PathId, ReadSessionDep
from services.common.api.membership import require_member
from services.common.membership.access import CommunityAccess
from services.events.calendar.service import community_calendar
from services.events.tables import membership

router = APIRouter(tags=["events"])

CommunityId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]


# Typed for generated clients: the answer is iCalendar text, not JSON.
CALENDAR_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The feed, iCalendar (RFC 5545)",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/communities/{community_id}/events.ics",
    response_class=Response,
    responses=CALENDAR_RESPONSE,
)
async def events_calendar(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> Response:
    """The community's events as an iCalendar feed (`text/calendar`), for its members."""
    body = await community_calendar(session=session, community_id=community_id)
    return Response(content=body, media_type="text/calendar; charset=utf-8")
