"""The content service's tables, in a metadata of its own (see services.common.db)."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime, table_registry
from services.common.events.tables import messaging_tables
from services.common.membership import membership_tables

registry = table_registry()
metadata = registry.metadata


class ContentTable(SQLModel, registry=registry):
    pass


class ContentItem(ContentTable, table=True):
    __tablename__ = "content_item"
    # Lists page through one community's items in id (= creation) order.
    __table_args__ = (Index("ix_content_item_community_id_id", "community_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)
    kind: str = Field(max_length=30)
    title: str = Field(max_length=200)
    # Text, not VARCHAR(n): the 50 000-character limit is the API's, checked before storage.
    body: str = Field(sa_column=Column(Text, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=20)
    author_member_id: str | None = Field(default=None, max_length=40)
    tier_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


messaging = messaging_tables(metadata)
# Who belongs where, as the members service announces it (services.common.membership).
membership = membership_tables(metadata)
