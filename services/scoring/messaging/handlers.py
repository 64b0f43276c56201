"""What the scoring service does with the events it consumes, registered by event class."""

from services.common.events.catalogue import ActivityRecorded, MemberJoined
from services.common.events.consumer import HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.service import ConsumerSpec
from services.common.unit_of_work import UnitOfWork
from services.scoring.domain import use_cases


async def on_member_joined(uow: UnitOfWork, event: MemberJoined, _: CloudEvent) -> None:
    await use_cases.count_member_joined(session=uow.session, event=event)


async def on_activity_recorded(uow: UnitOfWork, event: ActivityRecorded, _: CloudEvent) -> None:
    await use_cases.post_to_ledger(session=uow.session, event=event)


LEDGER_HANDLERS: HandlerRegistry = {
    MemberJoined: on_member_joined,
    ActivityRecorded: on_activity_recorded,
}

LEDGER_CONSUMER = ConsumerSpec(
    group_id="scoring.ledger",
    handlers=LEDGER_HANDLERS,
)
