"""The credited-points consumer (group `members.credited`): the tier policy ranks members by the
points scoring's ledger credited them, with the community's rules, cooldowns and caps and every
source, read from `engagement.credited`; never by calling scoring, never by weighing activities
here. The events are deltas per scoring batch; the inbox applies each once."""

from services.common.events.catalogue import EngagementCredited
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.members.credited import repository


async def on_credited(uow: UnitOfWork, event: EngagementCredited, _: CloudEvent) -> None:
    await repository.add_credited(uow.session, community_id=event.community_id, days=event.credited)


CREDITED_CONSUMER = ConsumerSpec(
    group_id="members.credited", handlers={EngagementCredited: on_credited}
)
