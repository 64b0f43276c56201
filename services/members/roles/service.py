"""Roles and ownership. Who may do what is `permissions.rules.PERMISSIONS`; the rules about the
owner live here: only the owner makes or unmakes admins, and making someone owner transfers
ownership (the old owner becomes an admin)."""

from services.common.auth import Actor
from services.common.errors import Conflict
from services.common.events.catalogue import MemberRoleChanged
from services.common.events.catalogue.vocabulary import Role
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.communities.service import announce_community_updated
from services.members.memberships import repository as membership_repository
from services.members.memberships.errors import WrongMemberStatus
from services.members.memberships.service import get_member
from services.members.permissions.rules import OWNER_GRANTED_ROLES, Permission
from services.members.permissions.service import acting
from services.members.roles.errors import OwnerOnly, TransferOwnershipFirst
from services.members.tables import Community, Membership


async def change_role(
    *, uow: UnitOfWork, actor: Actor, community_id: str, member_id: str, role: Role
) -> Membership:
    """Give a member a role. Owner and admins may; only the owner makes or unmakes admins, and
    making someone owner transfers ownership: the old owner becomes an admin."""
    steward = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.CHANGE_ROLES
    )
    membership = await get_member(
        session=uow.session, community_id=community_id, member_id=member_id
    )
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER:
        raise TransferOwnershipFirst("be given another role")
    if (role in OWNER_GRANTED_ROLES or membership.role in OWNER_GRANTED_ROLES) and not (
        steward.is_owner
    ):
        raise OwnerOnly("make or unmake admins and owners")
    if membership.status not in BELONGING_STATUSES:
        raise WrongMemberStatus(membership, "active")
    if role == Role.OWNER:
        await _step_down(uow, steward.community, by=actor)
        steward.community.owner_user_id = membership.user_id
        await announce_community_updated(uow, steward.community)
    await _set_role(uow, membership, role, by=actor)
    return membership


async def _step_down(uow: UnitOfWork, community: Community, *, by: Actor) -> None:
    """The owner becomes an admin, unless a concurrent transfer already made them one."""
    owner = await membership_repository.find_membership(
        uow.session, community_id=community.id, user_id=community.owner_user_id
    )
    if owner is None or owner.role != Role.OWNER:
        raise Conflict("The community's ownership changed meanwhile; try again.")
    await _set_role(uow, owner, Role.ADMIN, by=by)


async def _set_role(uow: UnitOfWork, membership: Membership, role: Role, *, by: Actor) -> None:
    """Change the role the member had when loaded; if another request changed it since, 409."""
    previous = membership.role
    if not await membership_repository.change_if(
        uow.session, membership, roles=[previous], role=role
    ):
        raise Conflict("The member's role changed meanwhile; try again.")
    await uow.outbox.add(
        uow.session,
        MemberRoleChanged(
            community_id=membership.community_id,
            member_id=membership.id,
            user_id=membership.user_id,
            previous_role=previous,
            role=role,
            changed_by=by.id,
        ),
    )
