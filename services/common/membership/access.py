"""Admitting a caller to a community: a member with a role, or a platform admin or partner who
acts there without belonging. A stranger is told the community does not exist."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import Forbidden, NotFound
from services.common.events.envelope import utc_now
from services.common.membership import repository
from services.common.membership.tables import BELONGING_STATUSES, MUTED, MembershipTables


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


class MemberMuted(Forbidden):
    """A muted member reads, but neither posts, votes, registers nor checks in until the mute
    ends (`muted_until`)."""

    slug = "member-muted"

    def __init__(self, muted_until: datetime) -> None:
        super().__init__(
            f"The member is muted until {muted_until.isoformat()}.",
            muted_until=muted_until.isoformat(),
        )


def refuse_if_muted(status: str, muted_until: datetime | None) -> None:
    """MemberMuted if the membership is muted now. A mute ends by itself when its time passes,
    without any event saying so; one without an end reads as over, as the members service
    reads it."""
    if status == MUTED and muted_until is not None and muted_until > utc_now():
        raise MemberMuted(muted_until)


@dataclass(frozen=True)
class CommunityAccess:
    """The caller, admitted to a community: as a member with a role, or as a platform admin or
    a partner whose key covers it, who are not members (then `member_id` and `role` are None)."""

    community_id: str
    actor: Actor
    member_id: str | None
    role: str | None
    status: str | None = None
    muted_until: datetime | None = None
    # The community's timezone, read with the admission: periods need it, a query less.
    timezone: str | None = None

    def refuse_if_muted(self) -> None:
        """MemberMuted if the caller is a member of the community who is muted now."""
        if self.status is not None:
            refuse_if_muted(self.status, self.muted_until)

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
    row = await repository.admission(session, tables, community_id=community_id, user_id=actor.id)
    if row is None:
        raise CommunityNotFound(community_id)
    if row.status in BELONGING_STATUSES:
        access = CommunityAccess(
            community_id,
            actor,
            row.member_id,
            row.role,
            row.status,
            row.muted_until,
            timezone=row.timezone,
        )
    elif actor.may_administer(community_id):
        # A platform admin, or a partner whose key covers this community (the gateway has
        # checked the key's scope for the route).
        access = CommunityAccess(community_id, actor, None, None, timezone=row.timezone)
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
