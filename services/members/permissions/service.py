"""Who the caller is inside a community, as every members route that looks inside one asks:
404 unless they belong (or are a platform admin), as in services.common.membership, then 403
unless their role grants the permission asked for."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue.vocabulary import Role
from services.common.membership.access import CommunityNotFound
from services.common.membership.tables import BELONGING_STATUSES
from services.members.communities import repository as community_repository
from services.members.memberships import repository as membership_repository
from services.members.permissions.errors import PermissionRequired
from services.members.permissions.rules import Permission, may
from services.members.tables import Community


@dataclass(frozen=True)
class Acting:
    """The caller inside a community: their role there, or None for a platform admin who does
    not belong (a platform admin may do what an owner may)."""

    actor: Actor
    community: Community
    role: Role | None

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER or self.actor.is_platform_admin

    def may(self, permission: Permission) -> bool:
        return self.actor.may_administer(self.community.id) or may(self.role, permission)


async def acting(
    session: AsyncSession, *, community_id: str, actor: Actor, permission: Permission | None
) -> Acting:
    """Admit the caller as in services.common.membership: 404 unless they belong (or are a
    platform admin), then 403 unless their role grants `permission`."""
    community = await community_repository.get_community(session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    role = await role_in(session, community_id=community_id, actor=actor)
    return admit(actor, community, role, permission)


def admit(
    actor: Actor, community: Community, role: Role | None, permission: Permission | None
) -> Acting:
    """`acting`'s decision once the community and the caller's role are read (for a use case
    that reads them in a query of its own)."""
    if role is not None:
        admitted = Acting(actor, community, role)
    elif actor.may_administer(community.id):
        # A platform admin, or a partner whose key covers the community.
        admitted = Acting(actor, community, None)
    else:
        raise CommunityNotFound(community.id)
    if permission is not None and not admitted.may(permission):
        raise PermissionRequired(permission)
    return admitted


async def role_in(session: AsyncSession, *, community_id: str, actor: Actor) -> Role | None:
    """The caller's role in the community while they belong to it; None otherwise."""
    own = await membership_repository.find_membership(
        session, community_id=community_id, user_id=actor.id
    )
    return Role(own.role) if own is not None and own.status in BELONGING_STATUSES else None
