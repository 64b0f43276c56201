"""Feedback: a rating (1 to 5) and a comment from members who checked in, once each."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import FeedbackSubmitted
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.events.events.service import event_with_access, organised_event
from services.events.feedback import repository
from services.events.feedback.errors import AttendeesOnly, FeedbackExists
from services.events.feedback.schemas import FeedbackCreate
from services.events.registrations import repository as registrations_repository
from services.events.registrations.service import check_acting_for
from services.events.tables import Feedback


async def give_feedback(
    *, uow: UnitOfWork, actor: Actor, event_id: str, feedback_create: FeedbackCreate
) -> Feedback:
    """Record an attendee's rating (1 to 5) and comment, once per attendee."""
    session = uow.session
    event, access = await event_with_access(session=session, actor=actor, event_id=event_id)
    member_id = feedback_create.member_id
    await check_acting_for(session, access=access, event=event, member_id=member_id)
    registration = await registrations_repository.confirmed_registration(
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
            event_ends_at=event.ends_at,
        ),
    )
    return feedback


async def list_feedback(
    *, session: AsyncSession, actor: Actor, event_id: str
) -> list[tuple[str | None, Feedback]]:
    """The event's ratings and comments, for its organisers."""
    await organised_event(session=session, actor=actor, event_id=event_id)
    return await repository.event_feedback(session, event_id)
