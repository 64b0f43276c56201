"""The members service's tables, in a metadata of its own (see services.common.db)."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime, table_registry
from services.common.events.tables import messaging_tables

registry = table_registry()
metadata = registry.metadata


class MembersTable(SQLModel, registry=registry):
    pass


class Community(MembersTable, table=True):
    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    topic: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    join_policy: str = Field(max_length=20)
    timezone: str = Field(max_length=64)
    rules: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner_user_id: str = Field(max_length=128, index=True)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Membership(MembersTable, table=True):
    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        # GET /me/memberships looks a user up across communities.
        Index("ix_membership_user_id", "user_id"),
        # Exactly one owner: a second owner row in a community cannot be written, whatever races.
        Index(
            "ux_membership_one_owner",
            "community_id",
            unique=True,
            sqlite_where=text("role = 'owner'"),
            postgresql_where=text("role = 'owner'"),
        ),
        # Covers the seat count every join makes: the index alone answers it.
        Index("ix_membership_tier_id_status", "tier_id", "status"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=40)
    user_id: str = Field(max_length=128)
    display_name: str = Field(max_length=64)
    status: str = Field(max_length=20)
    role: str = Field(max_length=20)
    tier_id: str | None = Field(default=None, max_length=40)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    invited_by: str | None = Field(default=None, max_length=40)
    # Members this one brought in: kept as a count so reading a member never scans the others.
    referral_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    joined_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Tier(MembersTable, table=True):
    """A ranked sub-group (一群, 二群, 留级群): rank 1 is the core group."""

    __table_args__ = (
        UniqueConstraint("community_id", "rank"),
        UniqueConstraint("community_id", "name"),
    )

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(foreign_key="community.id", max_length=40)
    name: str = Field(max_length=50)
    rank: int
    capacity: int
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class Invite(MembersTable, table=True):
    id: str = Field(primary_key=True, max_length=40)
    code: str = Field(max_length=64, unique=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=40)
    # The inviter's membership; None when a platform admin who is no member made the invite.
    created_by: str | None = Field(default=None, max_length=40)
    max_uses: int | None = None
    uses: int = Field(default=0)
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


messaging = messaging_tables(metadata)
