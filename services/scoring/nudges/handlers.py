"""What nudges keep from the members service's events that the membership projection lacks:
members' tags and communities' names (consumer group `scoring.nudges`)."""

from services.common.events.catalogue import (
    CommunityCreated,
    CommunityUpdated,
    MemberApproved,
    MemberJoined,
    MemberUpdated,
    UserErased,
)
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.scoring.nudges import repository


async def on_community(
    uow: UnitOfWork, event: CommunityCreated | CommunityUpdated, _: CloudEvent
) -> None:
    await repository.save_community_name(
        uow.session, community_id=event.community_id, name=event.name[:200]
    )


async def on_tags(
    uow: UnitOfWork, event: MemberJoined | MemberApproved | MemberUpdated, _: CloudEvent
) -> None:
    await repository.replace_tags(
        uow.session, community_id=event.community_id, member_id=event.member_id, tags=event.tags
    )


async def on_erased(uow: UnitOfWork, event: UserErased, _: CloudEvent) -> None:
    await repository.drop_tags(
        uow.session, community_id=event.community_id, member_id=event.member_id
    )


def nudges_consumer(service_name: str) -> ConsumerSpec:
    return ConsumerSpec(
        group_id=f"{service_name}.nudges",
        handlers={
            CommunityCreated: on_community,
            CommunityUpdated: on_community,
            MemberJoined: on_tags,
            MemberApproved: on_tags,
            MemberUpdated: on_tags,
            UserErased: on_erased,
        },
    )
