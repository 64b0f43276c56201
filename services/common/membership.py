"""Who belongs where, as the members service tells it: a projection every other service keeps.

The members service owns communities and memberships. Content, events and scoring each mount
these two tables in their own metadata (and so their own migrations), keep them from the
`huoli.members` events with `membership_handlers`, and guard their routes with `require_member`
and `require_role`. A community the caller does not belong to answers exactly like one that does
not exist (404), so strangers cannot even learn which communities there are.

The projection is eventually consistent: a community is known here once its owner's
`member.joined` has crossed the broker, a fraction of a second after it was created.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC
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
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor, ActorDep
from services.common.db import NAMING_CONVENTION, UtcDateTime
from services.common.db_ops import insert_if_absent
from services.common.errors import Forbidden, NotFound
from services.common.events.catalogue import (
    CommunityCreated,
    CommunityUpdated,
    MemberApproved,
    MemberJoined,
    MemberLeft,
    MemberPurged,
    MemberRemoved,
    MemberRoleChanged,
    MembershipSnapshot,
    MemberTierChanged,
    MemberUpdated,
    UserErased,
)
from services.common.events.consumer import HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.fields import PathId
from services.common.service import ConsumerSpec, ReadSessionDep, UnitOfWorkDep
from services.common.unit_of_work import UnitOfWork

ID_LENGTH = 64
USER_ID_LENGTH = 128

# What an erased user's display name becomes everywhere (members sets the same).
ERASED_DISPLAY_NAME = "已注销用户"

OWNER = "owner"
ADMIN = "admin"
EVENT_OFFICER = "event_officer"
# A muted member still belongs; pending, removed and left ones do not.
BELONGING_STATUSES = frozenset({"active", "muted"})


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
            community.c.id, membership.c.member_id, membership.c.status, membership.c.role
        ).select_from(joined)


def membership_tables(metadata: MetaData) -> MembershipTables:
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
        Index("ux_membership_community_id_member_id", "community_id", "member_id", unique=True),
    )
    return MembershipTables(community=community, membership=membership)


def create_membership_tables(bind: Connection) -> None:
    """Create the projection's tables: what a service's migration calls, so that they are
    defined once, here, and not copied into each service's migrations."""
    tables = membership_tables(MetaData(naming_convention=NAMING_CONVENTION))
    for table in (tables.community, tables.membership):
        table.create(bind)


def drop_membership_tables(bind: Connection) -> None:
    tables = membership_tables(MetaData(naming_convention=NAMING_CONVENTION))
    for table in (tables.membership, tables.community):
        table.drop(bind)


# --- keeping the projection ------------------------------------------------------------------


async def save_community(
    session: AsyncSession, tables: MembershipTables, event: CommunityCreated
) -> None:
    """Record a community the members service created (once, whatever the redeliveries)."""
    await insert_if_absent(
        session,
        tables.community,
        {
            "id": event.community_id,
            "owner_user_id": event.owner_user_id,
            "timezone": event.timezone,
            "join_policy": event.join_policy,
            "created_at": event.created_at.astimezone(UTC),
        },
    )


async def update_community(
    session: AsyncSession, tables: MembershipTables, event: CommunityUpdated
) -> None:
    """Follow an edit of a community (its owner, join policy or timezone)."""
    community = tables.community
    await session.execute(
        update(community)
        .where(community.c.id == event.community_id)
        .values(
            owner_user_id=event.owner_user_id,
            timezone=event.timezone,
            join_policy=event.join_policy,
        )
    )


async def save_membership(
    session: AsyncSession, tables: MembershipTables, event: MembershipSnapshot
) -> None:
    """Record a membership as the members service announced it, replacing an older copy."""
    values = {
        "member_id": event.member_id,
        "display_name": event.display_name,
        "status": event.status,
        "role": event.role,
        "tier_id": event.tier_id,
        "joined_at": event.joined_at.astimezone(UTC),
    }
    key = {"community_id": event.community_id, "user_id": event.user_id}
    if not await insert_if_absent(session, tables.membership, {**key, **values}):
        membership = tables.membership
        await session.execute(
            update(membership)
            .where(
                membership.c.community_id == event.community_id,
                membership.c.user_id == event.user_id,
            )
            .values(**values)
        )


async def change_membership(
    session: AsyncSession,
    tables: MembershipTables,
    *,
    community_id: str,
    member_id: str,
    status: str | None = None,
    role: str | None = None,
    tier_id: str | None = None,
    display_name: str | None = None,
) -> None:
    """Apply a later change to a known membership (left, removed, role or tier changed): the
    handlers of those events, when they exist, come down to this. It changes only a row the
    projection has: pending members are not announced, so `member.approved` must carry the
    whole membership, as `member.joined` does, and go through `save_membership`."""
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("status", status),
            ("role", role),
            ("tier_id", tier_id),
            ("display_name", display_name),
        )
        if value is not None
    }
    if changes:
        membership = tables.membership
        await session.execute(
            update(membership)
            .where(membership.c.community_id == community_id, membership.c.member_id == member_id)
            .values(**changes)
        )


async def erase_membership(
    session: AsyncSession, tables: MembershipTables, event: UserErased
) -> None:
    """Anonymise an erased user's membership: the display name becomes ERASED_DISPLAY_NAME and
    the user id the tombstone members gave it (so nothing here names the person any more)."""
    membership, community = tables.membership, tables.community
    values: dict[str, Any] = {"display_name": ERASED_DISPLAY_NAME}
    if event.replacement_user_id is not None:
        values["user_id"] = event.replacement_user_id
    await session.execute(
        update(membership)
        .where(
            membership.c.community_id == event.community_id,
            membership.c.member_id == event.member_id,
        )
        .values(**values)
    )
    if event.replacement_user_id is not None:
        await session.execute(
            update(community)
            .where(
                community.c.id == event.community_id,
                community.c.owner_user_id == event.user_id,
            )
            .values(owner_user_id=event.replacement_user_id)
        )


def membership_handlers(tables: MembershipTables) -> HandlerRegistry:
    """What keeps the projection: the handlers of a `huoli.members` consumer, group
    `<service>.membership`."""

    async def on_community_created(uow: UnitOfWork, event: CommunityCreated, _: CloudEvent) -> None:
        await save_community(uow.session, tables, event)

    async def on_community_updated(uow: UnitOfWork, event: CommunityUpdated, _: CloudEvent) -> None:
        await update_community(uow.session, tables, event)

    async def on_membership(uow: UnitOfWork, event: MembershipSnapshot, _: CloudEvent) -> None:
        await save_membership(uow.session, tables, event)

    async def on_role_changed(uow: UnitOfWork, event: MemberRoleChanged, _: CloudEvent) -> None:
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            role=event.role,
        )

    async def on_gone(uow: UnitOfWork, event: MemberLeft | MemberRemoved, _: CloudEvent) -> None:
        status = "left" if isinstance(event, MemberLeft) else "removed"
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            status=status,
        )

    async def on_updated(uow: UnitOfWork, event: MemberUpdated, _: CloudEvent) -> None:
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            display_name=event.display_name[:USER_ID_LENGTH],
        )

    async def on_tier_changed(uow: UnitOfWork, event: MemberTierChanged, _: CloudEvent) -> None:
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            tier_id=event.to_tier_id,
        )

    async def on_purged(uow: UnitOfWork, event: MemberPurged, _: CloudEvent) -> None:
        await change_membership(
            uow.session,
            tables,
            community_id=event.community_id,
            member_id=event.member_id,
            status="removed",
        )

    async def on_erased(uow: UnitOfWork, event: UserErased, _: CloudEvent) -> None:
        await erase_membership(uow.session, tables, event)

    return {
        CommunityCreated: on_community_created,
        CommunityUpdated: on_community_updated,
        MemberJoined: on_membership,
        MemberApproved: on_membership,
        MemberRoleChanged: on_role_changed,
        MemberLeft: on_gone,
        MemberRemoved: on_gone,
        MemberUpdated: on_updated,
        MemberTierChanged: on_tier_changed,
        MemberPurged: on_purged,
        UserErased: on_erased,
    }


def membership_consumer(service_name: str, tables: MembershipTables) -> ConsumerSpec:
    """The consumer that keeps a service's projection."""
    return ConsumerSpec(group_id=f"{service_name}.membership", handlers=membership_handlers(tables))


# --- reading it ------------------------------------------------------------------------------


class CommunityNotFound(NotFound):
    """Said alike of a community that does not exist and of one the caller is not in."""

    slug = "community-not-found"

    def __init__(self, community_id: str) -> None:
        super().__init__(f"No community {community_id!r}.", community_id=community_id)


class RoleRequired(Forbidden):
    slug = "role-required"

    def __init__(self, roles: Iterable[str]) -> None:
        wanted = sorted(roles)
        super().__init__(
            f"This needs one of these community roles: {', '.join(wanted)}.", roles=wanted
        )


@dataclass(frozen=True)
class CommunityAccess:
    """The caller, admitted to a community: as a member with a role, or as a platform admin or
    a partner whose key covers it, who are not members (then `member_id` and `role` are None)."""

    community_id: str
    actor: Actor
    member_id: str | None
    role: str | None

    def has_role(self, roles: Iterable[str]) -> bool:
        return self.actor.may_administer(self.community_id) or self.role in set(roles)


async def community_access(
    session: AsyncSession,
    tables: MembershipTables,
    *,
    community_id: str,
    actor: Actor,
    roles: Iterable[str] | None = None,
) -> CommunityAccess:
    """Admit the caller to a community: CommunityNotFound if it is unknown or the caller does
    not belong to it, RoleRequired if `roles` are given and the caller has none of them."""
    parameters = {"community_id": community_id, "user_id": actor.id}
    row = (await session.execute(tables.admission_query, parameters)).first()
    if row is None:
        raise CommunityNotFound(community_id)
    if row.status in BELONGING_STATUSES:
        access = CommunityAccess(community_id, actor, row.member_id, row.role)
    elif actor.may_administer(community_id):
        # A platform admin, or a partner whose key covers this community (the gateway has
        # checked the key's scope for the route).
        access = CommunityAccess(community_id, actor, None, None)
    else:
        raise CommunityNotFound(community_id)
    if roles is not None and not access.has_role(roles):
        raise RoleRequired(roles)
    return access


async def access_to_item(
    session: AsyncSession,
    tables: MembershipTables,
    *,
    community_id: str,
    actor: Actor,
    hidden: NotFound,
) -> CommunityAccess:
    """Admit the caller to the community an object (a content item, an event) belongs to; if
    they may not see it, raise `hidden`, the object's own 404, so it seems not to exist."""
    try:
        return await community_access(session, tables, community_id=community_id, actor=actor)
    except CommunityNotFound as exc:
        raise hidden from exc


async def known_member_ids(
    session: AsyncSession, tables: MembershipTables, *, community_id: str, member_ids: Iterable[str]
) -> set[str]:
    """Which of `member_ids` the community has (whatever their status now)."""
    membership = tables.membership
    query = select(membership.c.member_id).where(
        membership.c.community_id == community_id, membership.c.member_id.in_(set(member_ids))
    )
    return set((await session.execute(query)).scalars().all())


async def communities_of(
    session: AsyncSession, tables: MembershipTables, *, community_ids: Iterable[str], actor: Actor
) -> dict[str, str | None]:
    """Of these communities, the ones that exist, mapped to the caller's role in each (None
    where the caller does not belong)."""
    parameters = {"community_ids": sorted(set(community_ids)), "user_id": actor.id}
    rows = (await session.execute(tables.roles_query, parameters)).all()
    return {row.id: row.role if row.status in BELONGING_STATUSES else None for row in rows}


# --- FastAPI dependencies --------------------------------------------------------------------


def require_member(
    tables: MembershipTables, *, writes: bool = False
) -> Callable[..., Awaitable[CommunityAccess]]:
    """A dependency admitting the caller to the path's `{community_id}`; 404 otherwise.

    `writes=True` for routes that take a `UnitOfWorkDep`: the check then runs in that same
    session (FastAPI hands one request one instance of a dependency) instead of a second one.
    """
    return require_role(tables, roles=None, writes=writes)


def require_role(
    tables: MembershipTables, *, roles: Iterable[str] | None, writes: bool = False
) -> Callable[..., Awaitable[CommunityAccess]]:
    """A dependency admitting a member of the path's `{community_id}` holding one of `roles`
    (platform admins pass): 404 for a stranger, 403 for a member without the role."""
    wanted = frozenset(roles) if roles is not None else None

    if writes:

        async def admitted_to_write(
            community_id: PathId, actor: ActorDep, uow: UnitOfWorkDep
        ) -> CommunityAccess:
            return await community_access(
                uow.session, tables, community_id=community_id, actor=actor, roles=wanted
            )

        return admitted_to_write

    async def admitted(
        community_id: PathId, actor: ActorDep, session: ReadSessionDep
    ) -> CommunityAccess:
        return await community_access(
            session, tables, community_id=community_id, actor=actor, roles=wanted
        )

    return admitted
