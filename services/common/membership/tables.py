"""The projection's two tables, which content, events and scoring each mount in their own
metadata, and the vocabulary of belonging."""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    MetaData,
    Select,
    String,
    Table,
    and_,
    bindparam,
    select,
)

from services.common.db import NAMING_CONVENTION, UtcDateTime
from services.common.events.catalogue.vocabulary import Role

ID_LENGTH = 64
USER_ID_LENGTH = 128

OWNER = Role.OWNER.value
ADMIN = Role.ADMIN.value
EVENT_OFFICER = Role.EVENT_OFFICER.value
# A muted member still belongs (reads, is counted, holds a seat); pending, removed and left
# ones do not. What a mute blocks, until `muted_until`, is `access.refuse_if_muted`'s to say.
MUTED = "muted"
BELONGING_STATUSES = frozenset({"active", MUTED})


@dataclass(frozen=True)
class MembershipTables:
    community: Table
    membership: Table

    @cached_property
    def admission_query(self) -> Select[Any]:
        """The community `:community_id` with the membership of `:user_id` in it, if any.

        Built once: building a statement costs more than running it on the request path.
        """
        return self._with_membership_of_user().where(
            self.community.c.id == bindparam("community_id")
        )

    @cached_property
    def roles_query(self) -> Select[Any]:
        """Communities among `:community_ids`, each with `:user_id`'s membership, if any."""
        return self._with_membership_of_user().where(
            self.community.c.id.in_(bindparam("community_ids", expanding=True))
        )

    def _with_membership_of_user(self) -> Select[Any]:
        community, membership = self.community, self.membership
        joined = community.outerjoin(
            membership,
            and_(
                membership.c.community_id == community.c.id,
                membership.c.user_id == bindparam("user_id"),
            ),
        )
        return select(
            community.c.id,
            community.c.timezone,
            membership.c.member_id,
            membership.c.status,
            membership.c.role,
            membership.c.muted_until,
        ).select_from(joined)


def muted_until_column() -> Column[Any]:
    """When a muted member's mute ends (None: not muted, or muted until further notice). A
    column of its own so that the services' migrations add it with this one definition."""
    return Column("muted_until", UtcDateTime(), nullable=True)


def membership_tables(metadata: MetaData, *, with_mute_end: bool = True) -> MembershipTables:
    """The two tables in `metadata`; `with_mute_end=False` is their first shape, which the
    services' first migrations create (a later one adds `muted_until`)."""
    community = Table(
        "community",
        metadata,
        Column("id", String(ID_LENGTH), primary_key=True),
        Column("owner_user_id", String(USER_ID_LENGTH), nullable=False),
        Column("timezone", String(64), nullable=False),
        Column("join_policy", String(20), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
    )
    membership = Table(
        "membership",
        metadata,
        # Keyed by what a request knows (the caller's user id); member ids are looked up too.
        Column("community_id", String(ID_LENGTH), primary_key=True),
        Column("user_id", String(USER_ID_LENGTH), primary_key=True),
        Column("member_id", String(ID_LENGTH), nullable=False),
        Column("display_name", String(USER_ID_LENGTH), nullable=False),
        Column("status", String(20), nullable=False),
        Column("role", String(20), nullable=False),
        Column("tier_id", String(ID_LENGTH), nullable=True),
        Column("joined_at", UtcDateTime(), nullable=False),
        *([muted_until_column()] if with_mute_end else []),
        Index("ux_membership_community_id_member_id", "community_id", "member_id", unique=True),
    )
    return MembershipTables(community=community, membership=membership)


def create_membership_tables(bind: Connection) -> None:
    """Create the projection's tables in their first shape: what a service's first migration
    calls, so that they are defined once, here, and not copied into each service's migrations."""
    tables = membership_tables(MetaData(naming_convention=NAMING_CONVENTION), with_mute_end=False)
    for table in (tables.community, tables.membership):
        table.create(bind)


def drop_membership_tables(bind: Connection) -> None:
    tables = membership_tables(MetaData(naming_convention=NAMING_CONVENTION))
    for table in (tables.membership, tables.community):
        table.drop(bind)


# --- keeping the projection ------------------------------------------------------------------
