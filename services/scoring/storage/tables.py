"""The scoring service's tables, in a metadata of its own (see services.common.db).

Points are stored as integer thousandths (`*_milli`): weights such as 0.2 are not exact in
binary floating point, and SQLite sums NUMERIC as REAL, so float sums would drift and two equal
scores could compare unequal and break the leaderboard's tie order. Integers sum exactly on
both backends.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime, table_registry
from services.common.events.tables import messaging_tables
from services.common.membership import membership_tables

registry = table_registry()
metadata = registry.metadata

ID_LENGTH = 64
ACTIVITY_ID_LENGTH = 128


class ScoringTable(SQLModel, registry=registry):
    pass


class ActivityReceipt(ScoringTable, table=True):
    """One row per activity id ever accepted in a community: what makes ingestion idempotent.

    Ids are a community's own (a partner's message ids, say): two communities may use the same
    one, and neither can claim an id ahead of the other.
    """

    __tablename__ = "activity_receipt"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    activity_id: str = Field(primary_key=True, max_length=ACTIVITY_ID_LENGTH)
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LedgerEntry(ScoringTable, table=True):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_community_occurred", "community_id", "occurred_at"),
        UniqueConstraint("community_id", "activity_id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    activity_id: str = Field(max_length=ACTIVITY_ID_LENGTH)
    community_id: str = Field(max_length=ID_LENGTH)
    member_id: str = Field(max_length=ID_LENGTH)
    activity_type: str = Field(max_length=40)
    points_milli: int = Field(sa_column=Column(BigInteger(), nullable=False))
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    target_member_id: str | None = Field(default=None, max_length=ID_LENGTH)
    content_id: str | None = Field(default=None, max_length=ID_LENGTH)
    attrs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MemberScore(ScoringTable, table=True):
    """The all-time running total per member, kept so the all-time board needs no scan."""

    __tablename__ = "member_score"
    __table_args__ = (Index("ix_member_score_board", "community_id", "score_milli", "member_id"),)

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    member_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    score_milli: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    activity_count: int = Field(default=0)
    last_active_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class CommunityTally(ScoringTable, table=True):
    """Running counts per community that the metrics build on: one per applied event, so a
    redelivered event applied twice (or one lost) would show here."""

    __tablename__ = "community_tally"

    community_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    members_joined: int = Field(default=0)


messaging = messaging_tables(metadata)
# Who belongs where, as the members service announces it (services.common.membership); the
# boards take display names from it.
membership = membership_tables(metadata)
