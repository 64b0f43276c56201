"""Other services' domain events that count as activities: the one table that says which.

A mapped activity's id derives from the event's envelope id (`evt:<id>`), so a redelivered or
replayed event posts nothing twice, even past the inbox.
"""

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from services.common.events.catalogue import (
    ActivityRecorded,
    AttendanceCheckedIn,
    ChallengeCheckedIn,
    ContentApproved,
    ContentPublished,
    DomainEvent,
    FeedbackSubmitted,
    MemberJoined,
    PollVoted,
    RegistrationConfirmed,
)
from services.common.events.catalogue.vocabulary import ActivityType
from services.common.events.envelope import CloudEvent
from services.scoring.ledger.rules import RECEIVED_TYPE, Activity

MEMBER_SOURCE = "member"


RECEIVED_NAMESPACE = uuid.UUID("0b7e54a4-2a4f-4a53-9b1c-6f5a0f1e9d42")


# event type → (activity type, how to read it); a reader returns None when nothing is credited.
Reader = Callable[[Any, str], Activity | None]


def _activity(
    event: Any, activity_id: str, kind: ActivityType, member_id: str | None, at: Any, **extra: Any
) -> Activity | None:
    if member_id is None:
        return None
    return Activity(
        community_id=event.community_id,
        activity_id=activity_id,
        member_id=member_id,
        activity_type=kind,
        occurred_at=at,
        **extra,
    )


EVENT_ACTIVITIES: Mapping[type[DomainEvent], Reader] = {
    # Credited to the author; official content without an author credits nobody.
    ContentPublished: lambda e, i: _activity(
        e,
        i,
        ActivityType.CONTENT_PUBLISHED,
        e.author_member_id,
        e.published_at,
        content_id=e.content_id,
    ),
    # Only members' own content (UGC) earns the author the approval.
    ContentApproved: lambda e, i: (
        _activity(
            e,
            i,
            ActivityType.UGC_APPROVED,
            e.author_member_id,
            e.approved_at,
            content_id=e.content_id,
        )
        if e.source_kind == MEMBER_SOURCE
        else None
    ),
    RegistrationConfirmed: lambda e, i: _activity(
        e,
        i,
        ActivityType.EVENT_REGISTERED,
        e.member_id,
        e.confirmed_at,
        attrs={"event_id": e.event_id},
    ),
    AttendanceCheckedIn: lambda e, i: _activity(
        e,
        i,
        ActivityType.EVENT_ATTENDED,
        e.member_id,
        e.checked_in_at,
        attrs={"event_id": e.event_id},
    ),
    FeedbackSubmitted: lambda e, i: _activity(
        e, i, ActivityType.FEEDBACK, e.member_id, e.submitted_at, attrs={"event_id": e.event_id}
    ),
    # The inviter (a member id) is credited when the person they invited joins.
    MemberJoined: lambda e, i: _activity(
        e,
        i,
        ActivityType.INVITE_ACCEPTED,
        e.invited_by,
        e.joined_at,
        target_member_id=e.member_id,
    ),
    ChallengeCheckedIn: lambda e, i: _activity(
        e,
        i,
        ActivityType.CHECKIN,
        e.member_id,
        e.checked_in_at,
        attrs={"challenge_id": e.challenge_id, "streak": e.streak},
    ),
    PollVoted: lambda e, i: _activity(
        e, i, ActivityType.POLL_VOTE, e.member_id, e.voted_at, content_id=e.content_id
    ),
}


def mapped_activity_id(envelope: CloudEvent) -> str:
    return f"evt:{envelope.id}"


def activities_of(event: DomainEvent, envelope: CloudEvent) -> list[Activity]:
    """The activities an event counts as: an ingested one (and what its target received), or
    the one the table maps another service's event to."""
    if isinstance(event, ActivityRecorded):
        return with_received(
            Activity(
                community_id=event.community_id,
                activity_id=event.activity_id,
                member_id=event.member_id,
                activity_type=event.activity_type,
                occurred_at=event.occurred_at,
                target_member_id=event.target_member_id,
                content_id=event.content_id,
                attrs=event.attrs,
            )
        )
    reader = EVENT_ACTIVITIES.get(type(event))
    if reader is None:
        return []
    activity = reader(event, mapped_activity_id(envelope))
    return [] if activity is None else [activity]


def with_received(activity: Activity) -> list[Activity]:
    """A reaction or reply to someone also credits them (reaction_received, reply_received)."""
    received = RECEIVED_TYPE.get(activity.activity_type)  # type: ignore[call-overload]
    target = activity.target_member_id
    if received is None or target is None or target == activity.member_id:
        return [activity]
    return [
        activity,
        Activity(
            community_id=activity.community_id,
            # Derived from the activity's id, and short whatever its length.
            activity_id=f"rcv:{uuid.uuid5(RECEIVED_NAMESPACE, activity.activity_id).hex}",
            member_id=target,
            activity_type=received,
            occurred_at=activity.occurred_at,
            target_member_id=activity.member_id,
            content_id=activity.content_id,
        ),
    ]
