"""Events the events service publishes."""

from datetime import date, datetime

from services.common.events.catalogue.base import DomainEvent, register


@register
class EventCreated(DomainEvent):
    type = "event.created"
    source = "events"
    subject_field = "event_id"

    community_id: str
    event_id: str
    title: str
    kind: str
    format: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None = None


# The events below are the contract scoring credits activities from (registration, event
# attended, feedback, challenge check-in); the events service may add optional fields only.


@register
class RegistrationConfirmed(DomainEvent):
    type = "registration.confirmed"
    source = "events"
    subject_field = "registration_id"

    community_id: str
    event_id: str
    registration_id: str
    member_id: str
    confirmed_at: datetime


@register
class AttendanceCheckedIn(DomainEvent):
    type = "attendance.checked_in"
    source = "events"
    subject_field = "event_id"

    community_id: str
    event_id: str
    member_id: str
    event_kind: str
    checked_in_at: datetime


@register
class FeedbackSubmitted(DomainEvent):
    type = "feedback.submitted"
    source = "events"
    subject_field = "event_id"

    community_id: str
    event_id: str
    member_id: str
    rating: int
    submitted_at: datetime


@register
class ChallengeCheckedIn(DomainEvent):
    """One day of a 打卡 challenge; `streak` is the member's current streak after it."""

    type = "challenge.checked_in"
    source = "events"
    subject_field = "challenge_id"

    community_id: str
    challenge_id: str
    member_id: str
    checked_in_on: date
    streak: int
    make_up: bool = False
    checked_in_at: datetime
