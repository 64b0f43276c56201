"""The communities' names, for the calendar: kept from `community.created` and
`community.updated`."""

from services.common.events.catalogue import CommunityCreated, CommunityUpdated
from services.common.events.consumer import ConsumerSpec, HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.events.calendar import repository


async def remember_name(
    uow: UnitOfWork, event: CommunityCreated | CommunityUpdated, _envelope: CloudEvent
) -> None:
    await repository.save_community_name(uow.session, event.community_id, event.name)


def calendar_consumer(service_name: str) -> ConsumerSpec:
    handlers: HandlerRegistry = {CommunityCreated: remember_name, CommunityUpdated: remember_name}
    return ConsumerSpec(group_id=f"{service_name}.calendar", handlers=handlers)
