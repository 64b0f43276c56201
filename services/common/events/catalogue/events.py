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
    # True when the seat came from the waitlist (a promotion, or a claimed offer).
    promoted: bool = False


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
    # When the rated event ended: what orders a community's events for the falling-rating
    # warning (scoring); absent from events published before it was added.
    event_ends_at: datetime | None = None


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
    # The challenge's length: a streak reaching it finished the challenge (None from senders
    # written before it was announced).
    days: int | None = None


# Lifecycle, waitlist and lottery events: the events service's own.


@register
class EventPublished(DomainEvent):
    type = "event.published"
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
    tier_ids: list[str] = []
    published_at: datetime


@register
class EventUpdated(DomainEvent):
    """An organiser edited an event before it started: the event as it is now, and the names of
    the fields the edit changed (`changed`)."""

    type = "event.updated"
    source = "events"
    subject_field = "event_id"

    community_id: str
    event_id: str
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    location: str | None = None
    url: str | None = None
    capacity: int | None = None
    tier_ids: list[str] = []
    changed: list[str]
    updated_by: str
    updated_at: datetime


@register
class EventCancelled(DomainEvent):
    """An event was called off; `registrant_member_ids` are those to tell (confirmed, offered a
    seat, or waitlisted), so a notifier needs nothing else."""

    type = "event.cancelled"
    source = "events"
    subject_field = "event_id"

    community_id: str
    event_id: str
    reason: str
    registrant_member_ids: list[str]
    cancelled_by: str
    cancelled_at: datetime


@register
class EventCompleted(DomainEvent):
    """An event reached its end time (the scheduler completes it once, whatever the replicas)."""

    type = "event.completed"
    source = "events"
    subject_field = "event_id"

    community_id: str
    event_id: str
    kind: str
    registered: int
    attended: int
    completed_at: datetime


@register
class RegistrationWaitlisted(DomainEvent):
    type = "registration.waitlisted"
    source = "events"
    subject_field = "registration_id"

    community_id: str
    event_id: str
    registration_id: str
    member_id: str
    waitlist_position: int
    waitlisted_at: datetime


@register
class RegistrationPromoted(DomainEvent):
    """A freed seat went to the first waitlisted member: `confirmed` at once, or `offered` until
    `offered_until` when the event has a claim window."""

    type = "registration.promoted"
    source = "events"
    subject_field = "registration_id"

    community_id: str
    event_id: str
    registration_id: str
    member_id: str
    status: str
    offered_until: datetime | None = None
    promoted_at: datetime


@register
class RegistrationCancelled(DomainEvent):
    """A registration ended: `reason` is `cancelled` (by the member or an organiser) or
    `claim_expired` (an offered seat was not confirmed in time and passed on)."""

    type = "registration.cancelled"
    source = "events"
    subject_field = "registration_id"

    community_id: str
    event_id: str
    registration_id: str
    member_id: str
    previous_status: str
    reason: str
    cancelled_at: datetime


@register
class LotteryDrawn(DomainEvent):
    """A commit-reveal draw: anyone can recompute `winners` from `seed` and the pool (README)."""

    type = "lottery.drawn"
    source = "events"
    subject_field = "lottery_id"

    community_id: str
    event_id: str
    lottery_id: str
    prize: str
    pool: str
    pool_size: int
    seed_sha256: str
    seed: str
    winners: list[str]
    drawn_at: datetime
