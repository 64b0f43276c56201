"""The consumer of `user.erased` that anonymises a user's suggestions and +1s (group
`content.suggestions`, a group of its own so the suggestion box keeps to its package)."""

from services.common.events.catalogue import UserErased
from services.common.events.catalogue.vocabulary import ERASED
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.content.suggestions import repository


async def on_user_erased(uow: UnitOfWork, event: UserErased, _: CloudEvent) -> None:
    await repository.anonymise(
        uow.session,
        community_id=event.community_id,
        member_id=event.member_id,
        user_id=event.user_id,
        author_tombstone=new_id(ERASED),
        vote_tombstone=new_id(ERASED),
        user_tombstone=ERASED,
    )


def suggestions_consumer(service_name: str) -> ConsumerSpec:
    return ConsumerSpec(
        group_id=f"{service_name}.suggestions", handlers={UserErased: on_user_erased}
    )
