"""The events service's tables, in a metadata of its own (see services.common.db)."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime, table_registry
from services.common.events.tables import messaging_tables
from services.common.membership import membership_tables

registry = table_registry()
metadata = registry.metadata


class EventsTable(SQLModel, registry=registry):
    pass


class Event(EventsTable, table=True):
    __tablename__ = "event"
    # Lists page through one community's events in id (= creation) order.
    __table_args__ = (Index("ix_event_community_id_id", "community_id", "id"),)

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


messaging = messaging_tables(metadata)
# Who belongs where, as the members service announces it (services.common.membership).
membership = membership_tables(metadata)
