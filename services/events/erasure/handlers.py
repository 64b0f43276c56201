"""Personal-data erasure: on `user.erased` the member leaves no trace in this service's data,
while the figures (seats, attendance, ratings, streak days) stay as they were."""

from services.common.events.catalogue import UserErased
from services.common.events.catalogue.vocabulary import ERASED, ERASED_PREFIX
from services.common.events.consumer import ConsumerSpec, HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.events.erasure import repository
from services.events.lotteries import repository as lotteries_repository


async def erase_member(uow: UnitOfWork, event: UserErased, _envelope: CloudEvent) -> None:
    """Anonymise the member's registrations (the member id goes; the rows and counts stay),
    drop their feedback comments (ratings stay), re-key their challenge days under an alias,
    and take them out of drawn lotteries' winner lists and pools."""
    session = uow.session
    alias = f"{ERASED_PREFIX}{new_id('m')}"
    await repository.anonymise_member(
        session, community_id=event.community_id, member_id=event.member_id, alias=alias
    )
    for lottery in await lotteries_repository.drawn_lotteries(
        session, community_id=event.community_id
    ):
        if event.member_id in lottery.winners:
            lottery.winners = [
                ERASED if winner == event.member_id else winner for winner in lottery.winners
            ]
        if lottery.pool_member_ids and event.member_id in lottery.pool_member_ids:
            lottery.pool_member_ids = [
                ERASED if member == event.member_id else member
                for member in lottery.pool_member_ids
            ]


def erasure_consumer(service_name: str) -> ConsumerSpec:
    handlers: HandlerRegistry = {UserErased: erase_member}
    return ConsumerSpec(group_id=f"{service_name}.erasure", handlers=handlers)
