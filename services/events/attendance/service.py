"""Check-in at the event with its code, from 30 minutes before the start to the end."""

import hmac

from services.common.auth import Actor
from services.common.events.catalogue import AttendanceCheckedIn
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.events.attendance import repository
from services.events.attendance.errors import AlreadyCheckedIn, NotRegistered, WrongCheckinCode
from services.events.attendance.rules import CHECKIN_OPENS_BEFORE
from services.events.attendance.schemas import CheckinCreate
from services.events.events.errors import EventNotOpen, OutsideWindow
from services.events.events.rules import EventStatus
from services.events.events.service import event_with_access
from services.events.registrations import repository as registrations_repository
from services.events.registrations.service import check_acting_for
from services.events.tables import Registration


async def check_in(
    *, uow: UnitOfWork, actor: Actor, event_id: str, checkin_create: CheckinCreate
) -> Registration:
    """Check a member with a confirmed seat in with the event's code, from 30 minutes before
    the start to the end."""
    session = uow.session
    event, access = await event_with_access(session=session, actor=actor, event_id=event_id)
    member_id = checkin_create.member_id
    await check_acting_for(session, access=access, event=event, member_id=member_id)
    if event.status in (EventStatus.DRAFT, EventStatus.CANCELLED):
        raise EventNotOpen(event_id=event_id, status=event.status)
    now = utc_now()
    opens_at = event.starts_at - CHECKIN_OPENS_BEFORE
    if not opens_at <= now < event.ends_at:
        raise OutsideWindow("Check-in", opens_at=opens_at, closes_at=event.ends_at)
    # Constant time: the code is a secret of six digits.
    if not hmac.compare_digest(checkin_create.code.encode(), event.checkin_code.encode()):
        raise WrongCheckinCode
    registration = await registrations_repository.confirmed_registration(
        session, event_id=event_id, member_id=member_id
    )
    if registration is None:
        raise NotRegistered(member_id)
    if not await repository.mark_checked_in(session, registration_id=registration.id, now=now):
        raise AlreadyCheckedIn(registration.checked_in_at)
    registration.checked_in_at = now
    await uow.outbox.add(
        session,
        AttendanceCheckedIn(
            community_id=event.community_id,
            event_id=event_id,
            member_id=member_id,
            event_kind=event.kind,
            checked_in_at=now,
        ),
    )
    return registration
