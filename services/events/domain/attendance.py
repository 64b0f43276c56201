"""Check-in at the event, feedback from those who came, and the report."""

import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import AttendanceCheckedIn, FeedbackSubmitted
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.events.api.schemas import CheckinCreate, FeedbackCreate
from services.events.domain.models import (
    CHECKIN_OPENS_BEFORE,
    SEAT_HOLDING,
    AlreadyCheckedIn,
    AttendeesOnly,
    EventKind,
    EventNotOpen,
    EventStatus,
    FeedbackExists,
    NotRegistered,
    OutsideWindow,
    RegistrationStatus,
    Report,
    WrongCheckinCode,
    report_of,
)
from services.events.domain.registrations import check_acting_for
from services.events.domain.use_cases import event_with_access, organised_event
from services.events.storage import repository
from services.events.storage.tables import Event, Feedback, Registration


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
    registration = await repository.confirmed_registration(
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


async def give_feedback(
    *, uow: UnitOfWork, actor: Actor, event_id: str, feedback_create: FeedbackCreate
) -> Feedback:
    """Record an attendee's rating (1 to 5) and comment, once per attendee."""
    session = uow.session
    event, access = await event_with_access(session=session, actor=actor, event_id=event_id)
    member_id = feedback_create.member_id
    await check_acting_for(session, access=access, event=event, member_id=member_id)
    registration = await repository.confirmed_registration(
        session, event_id=event_id, member_id=member_id
    )
    if registration is None or registration.checked_in_at is None:
        raise AttendeesOnly
    now = utc_now()
    feedback = Feedback(
        event_id=event_id,
        registration_id=registration.id,
        rating=feedback_create.rating,
        comment=feedback_create.comment,
        submitted_at=now,
    )
    if not await repository.add_feedback(session, feedback):
        raise FeedbackExists
    await uow.outbox.add(
        session,
        FeedbackSubmitted(
            community_id=event.community_id,
            event_id=event_id,
            member_id=member_id,
            rating=feedback.rating,
            submitted_at=now,
        ),
    )
    return feedback


async def event_report(
    *, session: AsyncSession, actor: Actor, event_id: str
) -> tuple[Event, Report]:
    """The event's figures, for its organisers."""
    event = await organised_event(session=session, actor=actor, event_id=event_id)
    counts = await repository.count_registrations(session, event_id)
    report = report_of(
        registered=sum(counts.get(status, 0) for status in SEAT_HOLDING),
        waitlisted=counts.get(RegistrationStatus.WAITLISTED, 0),
        attended=await repository.attended_count(session, event_id),
        ratings=await repository.ratings(session, event_id),
        volunteering=event.kind == EventKind.VOLUNTEERING,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
    )
    return event, report
