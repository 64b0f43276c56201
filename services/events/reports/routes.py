"""HTTP endpoint of the event report."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, ReadSessionDep
from services.events.events.rules import EventStatus
from services.events.reports import service as reports
from services.events.reports.schemas import ReportPublic

router = APIRouter(tags=["events"])

EventId = PathId


@router.get("/events/{event_id}/report")
async def event_report(event_id: EventId, session: ReadSessionDep, actor: ActorDep) -> ReportPublic:
    """Registered, waitlisted, attended, rates, ratings, NPS and volunteer hours (organisers)."""
    event, report = await reports.event_report(session=session, actor=actor, event_id=event_id)
    return ReportPublic(
        event_id=event.id,
        status=EventStatus(event.status),
        registered=report.registered,
        waitlisted=report.waitlisted,
        attended=report.attended,
        attendance_rate=report.attendance_rate,
        no_show_rate=report.no_show_rate,
        feedback_count=report.feedback_count,
        avg_rating=report.avg_rating,
        nps=report.nps,
        volunteer_hours=report.volunteer_hours,
    )
