"""The early warnings' consumer (`scoring.warnings`): joins, departures, reports and sanctions
from huoli.members, and feedback ratings from huoli.events, each counted once (the inbox)."""

from services.common.events.catalogue import (
    FeedbackSubmitted,
    MemberJoined,
    MemberLeft,
    MemberRemoved,
    MemberSanctioned,
    ReportFiled,
)
from services.common.events.consumer import ConsumerSpec, HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.scoring.warnings.rules import Signal
from services.scoring.warnings.service import count_rating, count_signal


async def _joined(uow: UnitOfWork, event: MemberJoined, _envelope: CloudEvent) -> None:
    await count_signal(
        uow=uow, community_id=event.community_id, signal=Signal.JOIN, at=event.joined_at
    )


async def _left(uow: UnitOfWork, event: MemberLeft, _envelope: CloudEvent) -> None:
    await count_signal(
        uow=uow, community_id=event.community_id, signal=Signal.LEAVE, at=event.left_at
    )


async def _removed(uow: UnitOfWork, event: MemberRemoved, _envelope: CloudEvent) -> None:
    await count_signal(
        uow=uow, community_id=event.community_id, signal=Signal.LEAVE, at=event.removed_at
    )


async def _reported(uow: UnitOfWork, event: ReportFiled, _envelope: CloudEvent) -> None:
    await count_signal(
        uow=uow, community_id=event.community_id, signal=Signal.REPORT, at=event.filed_at
    )


async def _sanctioned(uow: UnitOfWork, event: MemberSanctioned, _envelope: CloudEvent) -> None:
    await count_signal(
        uow=uow, community_id=event.community_id, signal=Signal.SANCTION, at=event.issued_at
    )


async def _rated(uow: UnitOfWork, event: FeedbackSubmitted, _envelope: CloudEvent) -> None:
    await count_rating(
        uow=uow,
        community_id=event.community_id,
        event_id=event.event_id,
        # An event announced before `event_ends_at` existed is placed by its first rating.
        ends_at=event.event_ends_at or event.submitted_at,
        rating=event.rating,
    )


WARNING_HANDLERS: HandlerRegistry = {
    MemberJoined: _joined,
    MemberLeft: _left,
    MemberRemoved: _removed,
    ReportFiled: _reported,
    MemberSanctioned: _sanctioned,
    FeedbackSubmitted: _rated,
}
WARNINGS_CONSUMER = ConsumerSpec(group_id="scoring.warnings", handlers=WARNING_HANDLERS)
