"""The events service's tables, in a metadata of its own (see services.common.db)."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, Index, text
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime, table_registry
from services.common.events.tables import messaging_tables
from services.common.membership.tables import membership_tables

registry = table_registry()
metadata = registry.metadata


class EventsTable(SQLModel, registry=registry):
    pass


class Event(EventsTable, table=True):
    __tablename__ = "event"
    # Lists page through one community's events in id (= creation) order; the completion
    # worker looks for published events past their end.
    __table_args__ = (
        Index("ix_event_community_id_id", "community_id", "id"),
        Index("ix_event_status_ends_at", "status", "ends_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    kind: str = Field(max_length=30)
    format: str = Field(max_length=20)
    location: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=2000)
    starts_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    capacity: int | None = Field(default=None)
    registration_opens_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    registration_closes_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    tier_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20)
    checkin_code: str = Field(max_length=6)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # Hours a promoted member has to confirm the seat; None promotes straight to confirmed.
    claim_window_hours: int | None = Field(default=None)
    cancel_reason: str | None = Field(default=None, max_length=1000)
    # Arrival numbers of registrations, handed out under the event's row lock.
    last_registration_seq: int = Field(
        default=0, sa_column_kwargs={"server_default": text("0")}, nullable=False
    )


class Registration(EventsTable, table=True):
    __tablename__ = "registration"
    __table_args__ = (
        Index("ix_registration_event_id_status_seq", "event_id", "status", "seq"),
        Index("ix_registration_event_id_member_id", "event_id", "member_id"),
        Index("ix_registration_status_offered_until", "status", "offered_until"),
    )

    id: str = Field(primary_key=True, max_length=40)
    event_id: str = Field(max_length=40)
    community_id: str = Field(max_length=40)
    # None once the member's personal data was erased: the registration still counts.
    member_id: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=20)
    seq: int
    registered_by: str | None = Field(default=None, max_length=128)
    registered_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    confirmed_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    offered_until: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    cancelled_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    checked_in_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class Feedback(EventsTable, table=True):
    __tablename__ = "feedback"

    event_id: str = Field(primary_key=True, max_length=40)
    # The registration, not the member: erasure keeps the rating without the person.
    registration_id: str = Field(primary_key=True, max_length=40)
    rating: int
    comment: str | None = Field(default=None, max_length=2000)
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Lottery(EventsTable, table=True):
    __tablename__ = "lottery"
    __table_args__ = (Index("ix_lottery_event_id", "event_id"),)

    id: str = Field(primary_key=True, max_length=40)
    event_id: str = Field(max_length=40)
    community_id: str = Field(max_length=40)
    prize: str = Field(max_length=200)
    winners_count: int
    pool: str = Field(max_length=20)
    # Kept secret until the draw; its SHA-256 is published at the commit.
    seed_hex: str = Field(max_length=64)
    seed_sha256: str = Field(max_length=64)
    status: str = Field(max_length=20)
    winners: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    pool_size: int | None = Field(default=None)
    # The pool as it was frozen at the draw, sorted: with the seed, anyone recomputes the
    # winners. Null before the draw (and for lotteries drawn before it was kept).
    pool_member_ids: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_by: str = Field(max_length=128)
    committed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    drawn_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class Challenge(EventsTable, table=True):
    __tablename__ = "challenge"
    __table_args__ = (Index("ix_challenge_community_id_id", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)
    title: str = Field(max_length=200)
    days: int
    starts_on: date = Field(sa_column=Column(Date(), nullable=False))
    make_up_cards: int
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ChallengeCheckin(EventsTable, table=True):
    __tablename__ = "challenge_checkin"

    challenge_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=64)
    checked_in_on: date = Field(sa_column=Column(Date(), primary_key=True))
    make_up: bool = False
    checked_in_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


messaging = messaging_tables(metadata)
# Who belongs where, as the members service announces it (services.common.membership).
membership = membership_tables(metadata)


class CalendarFeed(EventsTable, table=True):
    """A community's secret iCalendar address: whoever holds the token reads the feed without
    signing in (a calendar app cannot). Members read the address back, as they can read the
    events it lists; a new token replaces the old one, and deleting the row revokes it."""

    __tablename__ = "calendar_feed"
    __table_args__ = (Index("ux_calendar_feed_token", "token", unique=True),)

    community_id: str = Field(primary_key=True, max_length=40)
    token: str = Field(max_length=64)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class CommunityName(EventsTable, table=True):
    """Each community's name, from `community.created` and `community.updated`: the calendar
    is named after it."""

    __tablename__ = "community_name"

    community_id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
