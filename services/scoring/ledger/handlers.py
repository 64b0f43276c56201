"""What the scoring service does with the events it consumes.

The ledger consumer (`scoring.ledger`) takes them in batches (services/scoring/ledger/consumer.py):
`LEDGER_EVENTS` lists the types it subscribes to and `apply_batch` applies a batch of them in one
transaction. The membership projection is kept by the shared per-event consumer
(`scoring.membership`).
"""

from collections.abc import Sequence
from datetime import datetime

from services.common.events.catalogue import (
    ActivityRecorded,
    AttendanceCheckedIn,
    ChallengeCheckedIn,
    ContentApproved,
    ContentPublished,
    DomainEvent,
    FeedbackSubmitted,
    MemberJoined,
    MemberLeft,
    MemberRemoved,
    PollVoted,
    RegistrationConfirmed,
    UserErased,
)
from services.common.events.consumer import ConsumerSpec, HandlerRegistry
from services.common.events.envelope import CloudEvent, utc_now
from services.common.membership.repository import learn_membership
from services.common.unit_of_work import UnitOfWork
from services.scoring.erasure import service as erasure_service
from services.scoring.ledger.mapping import activities_of
from services.scoring.ledger.rules import Activity
from services.scoring.ledger.service import post_activities
from services.scoring.metrics import repository as metrics_repository
from services.scoring.metrics.rules import departure_reason
from services.scoring.onboarding import service as onboarding_service
from services.scoring.segments import service as segments_service
from services.scoring.tables import membership

LEDGER_EVENTS: tuple[type[DomainEvent], ...] = (
    ActivityRecorded,
    ContentPublished,
    ContentApproved,
    RegistrationConfirmed,
    AttendanceCheckedIn,
    FeedbackSubmitted,
    ChallengeCheckedIn,
    PollVoted,
    MemberJoined,
    MemberLeft,
    MemberRemoved,
    UserErased,
)


# Events whose whole effect is the activities they map to: the ledger's unique (community,
# activity id) already makes a redelivery of them post nothing, so the consumer records no inbox
# row for them (one row an event less). Joins (a tally), departures and erasures keep theirs.
LEDGER_KEYED_EVENTS: frozenset[str] = frozenset(
    event_class.type
    for event_class in LEDGER_EVENTS
    if event_class not in {MemberJoined, MemberLeft, MemberRemoved, UserErased}
)


async def apply_batch(uow: UnitOfWork, items: Sequence[tuple[CloudEvent, DomainEvent]]) -> None:
    """Apply a batch of events: their activities in one posting, then joins, departures and
    erasures (in the batch's order)."""
    activities: list[Activity] = []
    changes: list[dict[str, object]] = []
    erasures: list[UserErased] = []
    joins: list[tuple[str, str, datetime]] = []
    for envelope, event in items:
        activities.extend(activities_of(event, envelope))
        if isinstance(event, MemberJoined):
            # The projection's own consumer (`scoring.membership`) may not have met this join
            # yet: the tier must be known before the activities it brings (an inviter's
            # `invite_accepted`, the next events of the batch) go onto the tier's boards.
            await learn_membership(uow.session, membership, event)
            changes.append(_change(envelope, event.member_id, event.community_id, "joined", event))
            joins.append((event.community_id, event.member_id, event.joined_at))
        elif isinstance(event, (MemberLeft, MemberRemoved)):
            change = _change(envelope, event.member_id, event.community_id, "left", event)
            change["reason"] = departure_reason(event)
            changes.append(change)
        elif isinstance(event, UserErased):
            erasures.append(event)
    now = utc_now()
    await post_activities(uow=uow, activities=activities, now=now)
    # After the posting: its re-segmenting of a member who joined in this batch comes first,
    # and the join makes them a newcomer after it.
    await segments_service.mark_newcomers(uow=uow, joins=joins, now=now)
    await onboarding_service.record_steps(uow, onboarding_service.steps_of(activities))
    await metrics_repository.record_membership_changes(uow.session, changes)
    for erased in erasures:
        await erasure_service.erase_member(session=uow.session, event=erased)


def _change(
    envelope: CloudEvent, member_id: str, community_id: str, kind: str, event: DomainEvent
) -> dict[str, object]:
    at = getattr(event, "joined_at", None) or getattr(event, "left_at", None)
    at = at or getattr(event, "removed_at", None) or envelope.time
    return {
        "event_id": envelope.id,
        "community_id": community_id,
        "member_id": member_id,
        "kind": kind,
        "occurred_at": at,
        "reason": None,
    }


async def _applied_in_batches(uow: UnitOfWork, event: DomainEvent, envelope: CloudEvent) -> None:
    """Per-event entry point: the same effect as a batch of one."""
    await apply_batch(uow, [(envelope, event)])


LEDGER_HANDLERS: HandlerRegistry = dict.fromkeys(LEDGER_EVENTS, _applied_in_batches)


LEDGER_CONSUMER = ConsumerSpec(group_id="scoring.ledger", handlers=LEDGER_HANDLERS)
