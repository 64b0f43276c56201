"""Members' copy of levels (consumer group `members.levels`): scoring owns levels and their
benefits and announces them (`level.reached`, `level.benefits_changed`); members keep what the
standing shows, so reading a standing asks no other service."""

from services.common.events.catalogue import LevelBenefitsChanged, LevelReached
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.members.benefits import repository


async def on_level_reached(uow: UnitOfWork, event: LevelReached, _: CloudEvent) -> None:
    await repository.raise_level(
        uow.session,
        community_id=event.community_id,
        member_id=event.member_id,
        level=event.level,
        at=event.reached_at,
    )


async def on_benefits_changed(uow: UnitOfWork, event: LevelBenefitsChanged, _: CloudEvent) -> None:
    await repository.copy_level_benefits(
        uow.session,
        community_id=event.community_id,
        level=event.level,
        benefits=[benefit.model_dump() for benefit in event.benefits],
        at=event.changed_at,
    )


LEVELS_CONSUMER = ConsumerSpec(
    group_id="members.levels",
    handlers={LevelReached: on_level_reached, LevelBenefitsChanged: on_benefits_changed},
)
