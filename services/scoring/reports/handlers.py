"""The reports' consumer (`scoring.reports`): what content, events, tier and segment moves
other events tell, kept as the read models reports and figures are built from. Each event is
applied once (the inbox)."""

from datetime import datetime

from services.common.events.catalogue import (
    ActivityRecorded,
    AttendanceCheckedIn,
    ContentPublished,
    EventCancelled,
    EventCompleted,
    EventPublished,
    EventUpdated,
    FeedbackSubmitted,
    MemberTierChanged,
    PollVoted,
    RegistrationCancelled,
    RegistrationConfirmed,
    SegmentChanged,
)
from services.common.events.catalogue.vocabulary import ActivityType
from services.common.events.consumer import ConsumerSpec, HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.scoring.periods import repository as periods_repository
from services.scoring.periods import rules as periods_rules
from services.scoring.reports import repository
from services.scoring.reports.rules import CONTENT_ENGAGEMENT

CONFIRMED = "confirmed"


async def _local_day(uow: UnitOfWork, community_id: str, at: datetime) -> str:
    community = await periods_repository.get_community(uow.session, community_id)
    zone = periods_rules.zone(None if community is None else community.timezone)
    return periods_rules.local_day(at, zone).isoformat()


async def _published(uow: UnitOfWork, event: ContentPublished, _envelope: CloudEvent) -> None:
    await repository.save_content(
        uow.session,
        {
            "community_id": event.community_id,
            "content_id": event.content_id,
            "kind": event.kind,
            "title": event.title[:500],
            "source_kind": event.source_kind,
            "published_at": event.published_at,
        },
    )


async def _engaged(
    uow: UnitOfWork, community_id: str, content_id: str, kind: str, at: datetime
) -> None:
    await repository.count_content_activity(
        uow.session,
        community_id=community_id,
        day=await _local_day(uow, community_id, at),
        content_id=content_id,
        activity_type=kind,
    )


async def _recorded(uow: UnitOfWork, event: ActivityRecorded, _envelope: CloudEvent) -> None:
    if event.content_id is None or event.activity_type not in CONTENT_ENGAGEMENT:
        return
    await _engaged(
        uow, event.community_id, event.content_id, event.activity_type, event.occurred_at
    )


async def _voted(uow: UnitOfWork, event: PollVoted, _envelope: CloudEvent) -> None:
    await _engaged(
        uow, event.community_id, event.content_id, ActivityType.POLL_VOTE, event.voted_at
    )


async def _event_published(uow: UnitOfWork, event: EventPublished, _envelope: CloudEvent) -> None:
    await repository.set_event(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        values={
            "title": event.title[:500],
            "kind": event.kind,
            "starts_at": event.starts_at,
            "status": "published",
        },
    )


async def _event_updated(uow: UnitOfWork, event: EventUpdated, _envelope: CloudEvent) -> None:
    await repository.set_event(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        values={"title": event.title[:500], "starts_at": event.starts_at},
    )


async def _event_cancelled(uow: UnitOfWork, event: EventCancelled, _envelope: CloudEvent) -> None:
    await repository.set_event(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        values={"status": "cancelled"},
    )


async def _event_completed(uow: UnitOfWork, event: EventCompleted, _envelope: CloudEvent) -> None:
    # The events service's own count is the final word on who registered and came.
    await repository.set_event(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        values={
            "status": "completed",
            "kind": event.kind,
            "registered": event.registered,
            "attended": event.attended,
        },
    )


async def _registered(uow: UnitOfWork, event: RegistrationConfirmed, _envelope: CloudEvent) -> None:
    await repository.add_to_event(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        deltas={"registered": 1},
    )


async def _unregistered(
    uow: UnitOfWork, event: RegistrationCancelled, _envelope: CloudEvent
) -> None:
    if event.previous_status != CONFIRMED:
        return
    await repository.add_to_event(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        deltas={"registered": -1},
    )


async def _attended(uow: UnitOfWork, event: AttendanceCheckedIn, _envelope: CloudEvent) -> None:
    await repository.add_to_event(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        deltas={"attended": 1},
    )


async def _feedback(uow: UnitOfWork, event: FeedbackSubmitted, _envelope: CloudEvent) -> None:
    await repository.add_to_event(
        uow.session,
        community_id=event.community_id,
        event_id=event.event_id,
        deltas={"rating_sum": event.rating, "ratings": 1},
    )


async def _tier_changed(uow: UnitOfWork, event: MemberTierChanged, envelope: CloudEvent) -> None:
    await repository.record_tier_move(
        uow.session,
        {
            "event_id": envelope.id,
            "community_id": event.community_id,
            "member_id": event.member_id,
            "from_tier_id": event.from_tier_id,
            "to_tier_id": event.to_tier_id,
            "reason": event.reason[:20],
            "changed_at": event.changed_at,
        },
    )


async def _segment_changed(uow: UnitOfWork, event: SegmentChanged, envelope: CloudEvent) -> None:
    await repository.record_segment_move(
        uow.session,
        {
            "event_id": envelope.id,
            "community_id": event.community_id,
            "member_id": event.member_id,
            "previous_segment": event.previous_segment,
            "segment": event.segment,
            "changed_at": event.changed_at,
        },
    )


REPORT_HANDLERS: HandlerRegistry = {
    ContentPublished: _published,
    ActivityRecorded: _recorded,
    PollVoted: _voted,
    EventPublished: _event_published,
    EventUpdated: _event_updated,
    EventCancelled: _event_cancelled,
    EventCompleted: _event_completed,
    RegistrationConfirmed: _registered,
    RegistrationCancelled: _unregistered,
    AttendanceCheckedIn: _attended,
    FeedbackSubmitted: _feedback,
    MemberTierChanged: _tier_changed,
    SegmentChanged: _segment_changed,
}
REPORTS_CONSUMER = ConsumerSpec(group_id="scoring.reports", handlers=REPORT_HANDLERS)
