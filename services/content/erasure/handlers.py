"""The consumer of user.erased that anonymises a user's content."""

from services.common.events.catalogue import UserErased
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.content.erasure import service


async def on_user_erased(uow: UnitOfWork, event: UserErased, _: CloudEvent) -> None:
    await service.erase_author(
        uow=uow, community_id=event.community_id, member_id=event.member_id, user_id=event.user_id
    )


def erasure_consumer(service_name: str) -> ConsumerSpec:
    return ConsumerSpec(group_id=f"{service_name}.erasure", handlers={UserErased: on_user_erased})
