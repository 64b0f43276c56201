"""HTTP endpoint of check-in."""

from fastapi import APIRouter, status

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.events.attendance import service as attendance
from services.events.attendance.schemas import CheckinCodePublic, CheckinCreate, CheckinPublic
from services.events.events.service import organised_event

router = APIRouter(tags=["events"])

EventId = PathId


@router.post("/events/{event_id}/check-ins", status_code=status.HTTP_201_CREATED)
async def check_in(
    event_id: EventId, checkin_create: CheckinCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> CheckinPublic:
    """Check in with the event's code, from 30 minutes before the start to the end."""
    registration = await attendance.check_in(
        uow=uow, actor=actor, event_id=event_id, checkin_create=checkin_create
    )
    assert registration.checked_in_at is not None
    return CheckinPublic(
        event_id=event_id,
        registration_id=registration.id,
        member_id=checkin_create.member_id,
        checked_in_at=registration.checked_in_at,
    )


@router.get("/events/{event_id}/check-in-code")
async def get_checkin_code(
    event_id: EventId, session: ReadSessionDep, actor: ActorDep
) -> CheckinCodePublic:
    """The event's check-in code, for its organisers, at any time (not only at creation)."""
    event = await organised_event(session=session, actor=actor, event_id=event_id)
    return CheckinCodePublic(event_id=event.id, checkin_code=event.checkin_code)
