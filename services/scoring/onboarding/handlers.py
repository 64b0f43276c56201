"""The members service's events that are onboarding steps (consumer group
`scoring.onboarding`): rules acknowledged, and a profile complete on joining or on an edit. The
activity steps arrive through the ledger's consumer (services.scoring.ledger.handlers)."""

from services.common.events.catalogue import (
    MemberApproved,
    MemberJoined,
    MemberRulesAcknowledged,
    MemberUpdated,
)
from services.common.events.consumer import ConsumerSpec, HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.scoring.onboarding import rules
from services.scoring.onboarding.rules import OnboardingStep
from services.scoring.onboarding.service import StepDone, record_steps


async def on_rules_acknowledged(
    uow: UnitOfWork, event: MemberRulesAcknowledged, _: CloudEvent
) -> None:
    await record_steps(
        uow,
        [
            StepDone(
                event.community_id,
                event.member_id,
                OnboardingStep.ACKNOWLEDGE_RULES,
                event.acknowledged_at,
            )
        ],
    )


async def on_joined(uow: UnitOfWork, event: MemberJoined | MemberApproved, _: CloudEvent) -> None:
    if rules.profile_complete(display_name=event.display_name, tags=event.tags):
        await record_steps(
            uow,
            [
                StepDone(
                    event.community_id,
                    event.member_id,
                    OnboardingStep.PROFILE_COMPLETE,
                    event.joined_at,
                )
            ],
        )


async def on_updated(uow: UnitOfWork, event: MemberUpdated, envelope: CloudEvent) -> None:
    # `member.updated` carries no time of its own: the envelope's is when the edit was made.
    if rules.profile_complete(display_name=event.display_name, tags=event.tags):
        await record_steps(
            uow,
            [
                StepDone(
                    event.community_id,
                    event.member_id,
                    OnboardingStep.PROFILE_COMPLETE,
                    envelope.time,
                )
            ],
        )


ONBOARDING_HANDLERS: HandlerRegistry = {
    MemberRulesAcknowledged: on_rules_acknowledged,
    MemberJoined: on_joined,
    MemberApproved: on_joined,
    MemberUpdated: on_updated,
}

ONBOARDING_CONSUMER = ConsumerSpec(group_id="scoring.onboarding", handlers=ONBOARDING_HANDLERS)
