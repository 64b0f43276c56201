"""The consumer of activity.recorded that counts engagement on items."""

from services.common.events.catalogue import ActivityRecorded
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.content.engagement import service


async def on_activity(uow: UnitOfWork, event: ActivityRecorded, _: CloudEvent) -> None:
    await service.count_activity(
        uow=uow,
        community_id=event.community_id,
        content_id=event.content_id,
        activity_type=event.activity_type,
    )


def engagement_consumer(service_name: str) -> ConsumerSpec:
    return ConsumerSpec(
        group_id=f"{service_name}.engagement", handlers={ActivityRecorded: on_activity}
    )
