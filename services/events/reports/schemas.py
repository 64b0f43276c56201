"""The event report's response shape."""

from pydantic import BaseModel

from services.events.events.rules import EventStatus


class ReportPublic(BaseModel):
    event_id: str
    status: EventStatus
    registered: int
    waitlisted: int
    attended: int
    attendance_rate: float | None
    no_show_rate: float | None
    feedback_count: int
    avg_rating: float | None
    nps: int | None
    # Volunteering events only: the event's length in hours times its attendees.
    volunteer_hours: float | None
