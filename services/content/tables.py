"""The content service's tables, in a metadata of its own (see services.common.db)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime, table_registry
from services.common.events.tables import messaging_tables
from services.common.membership.tables import membership_tables

registry = table_registry()
metadata = registry.metadata


class ContentTable(SQLModel, registry=registry):
    pass


class ContentItem(ContentTable, table=True):
    __tablename__ = "content_item"
    __table_args__ = (
        # Lists page through one community's items in id (= creation) order.
        Index("ix_content_item_community_id_id", "community_id", "id"),
        # The calendar, and the publishing rules' look at a community's booked times.
        Index("ix_content_item_community_id_publish_at", "community_id", "publish_at"),
        # The publisher's scan for due items.
        Index("ix_content_item_status_publish_at", "status", "publish_at"),
        # A series never materializes one occurrence twice, however many workers run.
        UniqueConstraint("series_id", "occurrence_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)
    kind: str = Field(max_length=30)
    title: str = Field(max_length=200)
    # Text, not VARCHAR(n): the 50 000-character limit is the API's, checked before storage.
    body: str = Field(sa_column=Column(Text, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=20)
    author_member_id: str | None = Field(default=None, max_length=40)
    # Set by erasure: the author's member id stays as a tombstone, nothing else of them does.
    author_erased: bool = False
    tier_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    poll_options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20)
    # What automated screening found on the last submit: [{rule, match}].
    screening: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    flagged: bool = False
    reviewed_by: str | None = Field(default=None, max_length=128)
    review_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    publish_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    published_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    late: bool = False
    series_id: str | None = Field(default=None, max_length=40)
    occurrence_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    views: int = 0
    reactions: int = 0
    comments: int = 0
    shares: int = 0
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class PublishingRulesRow(ContentTable, table=True):
    """A community's publishing rules; a community without a row has the defaults."""

    __tablename__ = "publishing_rules"

    community_id: str = Field(primary_key=True, max_length=40)
    slots: list[str] = Field(sa_column=Column(JSON, nullable=False))
    max_per_day: int
    min_gap_minutes: int
    # [start, end] as "HH:MM", or null for none.
    quiet_hours: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ScreeningSettingsRow(ContentTable, table=True):
    """A community's screening settings; a community without a row rejects on a hit, with the
    default word lists and no allowed link domains."""

    __tablename__ = "screening_settings"

    community_id: str = Field(primary_key=True, max_length=40)
    action: str = Field(max_length=10)
    # rule → extra words, added to the default lists.
    words: dict[str, list[str]] = Field(sa_column=Column(JSON, nullable=False))
    allowed_domains: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # How official content is screened ({action, any_link}); None: the default (flag, any link).
    official: dict[str, object] | None = Field(default=None, sa_column=Column(JSON))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Series(ContentTable, table=True):
    __tablename__ = "content_series"
    __table_args__ = (Index("ix_content_series_community_id_id", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)
    title: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    rrule: str = Field(max_length=500)
    body_template: str = Field(sa_column=Column(Text, nullable=False))
    tier_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # Occurrences up to here exist as content items.
    materialized_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    # While set, the series makes no occurrences (and its unpublished ones were withdrawn).
    paused_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class PollVote(ContentTable, table=True):
    __tablename__ = "poll_vote"

    # One vote per member and poll: the primary key says so, not a check before the insert.
    content_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=64)
    community_id: str = Field(max_length=40)
    option: str = Field(max_length=100)
    voted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Suggestion(ContentTable, table=True):
    """A member's suggestion in the community's suggestion box (services/content/suggestions)."""

    __tablename__ = "suggestion"
    __table_args__ = (
        # Newest first and by votes: both lists read one community's rows in index order.
        Index("ix_suggestion_community_id_id", "community_id", "id"),
        Index("ix_suggestion_community_id_votes", "community_id", "votes", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)
    author_member_id: str = Field(max_length=64)
    # Set by erasure: the member id becomes a tombstone and nothing names the author.
    author_erased: bool = False
    title: str = Field(max_length=200)
    # Text: the API bounds it (5 000 characters) before storage.
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=20)
    votes: int = 0
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The user who last set the status (a user id; "erased" after their erasure).
    status_changed_by: str | None = Field(default=None, max_length=128)
    status_changed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class SuggestionVote(ContentTable, table=True):
    """A member's +1: the primary key makes it one per member and suggestion."""

    __tablename__ = "suggestion_vote"
    __table_args__ = (Index("ix_suggestion_vote_community_member", "community_id", "member_id"),)

    suggestion_id: str = Field(primary_key=True, max_length=40)
    member_id: str = Field(primary_key=True, max_length=64)
    community_id: str = Field(max_length=40)
    voted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


messaging = messaging_tables(metadata)
# Who belongs where, as the members service announces it (services.common.membership).
membership = membership_tables(metadata)
