"""What surveys learn from the events service (consumer group `members.surveys`): who checked in
to an event (an event audience), and that an event ended (the post-event survey opens). Both
arrive keyed by community on huoli.events, so the check-ins come before the end."""

from services.common.events.catalogue import AttendanceCheckedIn, EventCompleted
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.members.surveys import repository
from services.members.surveys.service import open_post_event_survey


async def on_checked_in(uow: UnitOfWork, event: AttendanceCheckedIn, _: CloudEvent) -> None:
    await repository.add_attendee(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        member_id=event.member_id,
    )


async def on_event_completed(uow: UnitOfWork, event: EventCompleted, _: CloudEvent) -> None:
    await open_post_event_survey(uow, event)


SURVEYS_CONSUMER = ConsumerSpec(
    group_id="members.surveys",
    handlers={AttendanceCheckedIn: on_checked_in, EventCompleted: on_event_completed},
)
