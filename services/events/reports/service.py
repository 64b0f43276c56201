"""The event report: registrations, attendance, ratings, NPS and volunteer hours."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.events.attendance import repository as attendance_repository
from services.events.events.rules import EventKind
from services.events.events.service import organised_event
from services.events.feedback import repository as feedback_repository
from services.events.registrations import repository as registrations_repository
from services.events.registrations.rules import SEAT_HOLDING, RegistrationStatus
from services.events.reports.rules import Report, report_of
from services.events.tables import Event


async def event_report(
    *, session: AsyncSession, actor: Actor, event_id: str
) -> tuple[Event, Report]:
    """The event's figures, for its organisers."""
    event = await organised_event(session=session, actor=actor, event_id=event_id)
    counts = await registrations_repository.count_registrations(session, event_id)
    report = report_of(
        registered=sum(counts.get(status, 0) for status in SEAT_HOLDING),
        waitlisted=counts.get(RegistrationStatus.WAITLISTED, 0),
        attended=await attendance_repository.attended_count(session, event_id),
        ratings=await feedback_repository.ratings(session, event_id),
        volunteering=event.kind == EventKind.VOLUNTEERING,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
    )
    return event, report
