"""The pools' consumer (`scoring.pools`): who voted in a poll, finished a 打卡 challenge,
registered for or attended an event, each event applied once (the inbox)."""

from services.common.events.catalogue import (
    AttendanceCheckedIn,
    ChallengeCheckedIn,
    PollVoted,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
)
from services.common.events.consumer import ConsumerSpec, HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.scoring.pools import repository
from services.scoring.pools.rules import PoolKind, finished


async def _voted(uow: UnitOfWork, event: PollVoted, _envelope: CloudEvent) -> None:
    await repository.add(
        uow.session,
        kind=PoolKind.VOTER,
        source_id=event.content_id,
        member_id=event.member_id,
        community_id=event.community_id,
        at=event.voted_at,
    )


async def _checked_in(uow: UnitOfWork, event: ChallengeCheckedIn, _envelope: CloudEvent) -> None:
    if finished(event.streak, event.days):
        await repository.add(
            uow.session,
            kind=PoolKind.FINISHER,
            source_id=event.challenge_id,
            member_id=event.member_id,
            community_id=event.community_id,
            at=event.checked_in_at,
        )


async def _confirmed(uow: UnitOfWork, event: RegistrationConfirmed, _envelope: CloudEvent) -> None:
    await repository.add(
        uow.session,
        kind=PoolKind.REGISTRANT,
        source_id=event.event_id,
        member_id=event.member_id,
        community_id=event.community_id,
        at=event.confirmed_at,
    )


async def _promoted(uow: UnitOfWork, event: RegistrationPromoted, envelope: CloudEvent) -> None:
    # An offered seat is not a registration until it is claimed (then `registration.confirmed`).
    if event.status == "confirmed":
        await repository.add(
            uow.session,
            kind=PoolKind.REGISTRANT,
            source_id=event.event_id,
            member_id=event.member_id,
            community_id=event.community_id,
            at=envelope.time,
        )


async def _cancelled(uow: UnitOfWork, event: RegistrationCancelled, _envelope: CloudEvent) -> None:
    await repository.remove(
        uow.session, kind=PoolKind.REGISTRANT, source_id=event.event_id, member_id=event.member_id
    )


async def _attended(uow: UnitOfWork, event: AttendanceCheckedIn, _envelope: CloudEvent) -> None:
    await repository.add(
        uow.session,
        kind=PoolKind.ATTENDEE,
        source_id=event.event_id,
        member_id=event.member_id,
        community_id=event.community_id,
        at=event.checked_in_at,
    )


POOL_HANDLERS: HandlerRegistry = {
    PollVoted: _voted,
    ChallengeCheckedIn: _checked_in,
    RegistrationConfirmed: _confirmed,
    RegistrationPromoted: _promoted,
    RegistrationCancelled: _cancelled,
    AttendanceCheckedIn: _attended,
}
POOLS_CONSUMER = ConsumerSpec(group_id="scoring.pools", handlers=POOL_HANDLERS)
