"""Stewardship of a community: editing it, approving joins, roles and ownership, leaving and
removal. Who may do what is `permissions.PERMISSIONS`; the rules about the owner live here."""

from collections.abc import Sequence

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import Conflict, Forbidden
from services.common.events.catalogue import (
    CommunityUpdated,
    MemberApproved,
    MemberLeft,
    MemberRejected,
    MemberRemoved,
    MemberRoleChanged,
)
from services.common.events.envelope import utc_now
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.api.role_schemas import CommunityUpdate
from services.members.domain.admission import acting
from services.members.domain.models import MemberStatus, Role
from services.members.domain.permissions import (
    OWNER_GRANTED_ROLES,
    Permission,
)
from services.members.domain.use_cases import (
    announce_joined,
    get_community,
    get_member,
    membership_snapshot,
)
from services.members.storage import member_changes, repository
from services.members.storage.tables import Community, Membership

CURRENT_STATUSES = (MemberStatus.PENDING, *sorted(BELONGING_STATUSES))


class OwnerOnly(Forbidden):
    slug = "owner-only"

    def __init__(self, what: str) -> None:
        super().__init__(f"Only the community's owner may {what}.")


class TransferOwnershipFirst(Conflict):
    slug = "transfer-ownership-first"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The owner cannot {what}: the owner must first make another member owner "
            "(PUT …/members/{member_id}/role with role 'owner')."
        )


class WrongMemberStatus(Conflict):
    slug = "wrong-member-status"

    def __init__(self, membership: Membership, expected: str) -> None:
        super().__init__(
            f"Member {membership.id!r} is {membership.status}; this needs a member who is "
            f"{expected}.",
            member_id=membership.id,
            member_status=membership.status,
        )


# --- the community ---------------------------------------------------------------------------


async def update_community(
    *, uow: UnitOfWork, actor: Actor, community_id: str, community_update: CommunityUpdate
) -> Community:
    """Edit a community (owner and admins); `community.updated` if anything changed."""
    community = (
        await acting(
            uow.session,
            community_id=community_id,
            actor=actor,
            permission=Permission.EDIT_COMMUNITY,
        )
    ).community
    changes = {
        name: value
        for name, value in community_update.model_dump(exclude_unset=True).items()
        if getattr(community, name) != value
    }
    if changes:
        for name, value in changes.items():
            setattr(community, name, value)
        await _announce_community(uow, community)
    return community


async def _announce_community(uow: UnitOfWork, community: Community) -> None:
    community.updated_at = utc_now()
    await uow.outbox.add(
        uow.session,
        CommunityUpdated(
            community_id=community.id,
            name=community.name,
            topic=community.topic,
            description=community.description,
            join_policy=community.join_policy,
            timezone=community.timezone,
            rules=community.rules,
            owner_user_id=community.owner_user_id,
            updated_at=community.updated_at,
        ),
    )


# --- approval --------------------------------------------------------------------------------


async def approve(
    *, uow: UnitOfWork, actor: Actor, community_id: str, member_id: str, reason: str | None
) -> Membership:
    """Let a pending member in: `member.approved`, then `member.joined`."""
    membership = await _decide(uow, actor, community_id, member_id, MemberStatus.ACTIVE)
    await uow.outbox.add(
        uow.session,
        MemberApproved(**membership_snapshot(membership), approved_by=actor.id, reason=reason),
    )
    await announce_joined(uow, membership)
    return membership


async def reject(
    *, uow: UnitOfWork, actor: Actor, community_id: str, member_id: str, reason: str | None
) -> Membership:
    """Turn a pending member away (`member.rejected`); they may ask again later."""
    membership = await _decide(uow, actor, community_id, member_id, MemberStatus.REJECTED)
    await uow.outbox.add(
        uow.session,
        MemberRejected(
            community_id=community_id,
            member_id=member_id,
            user_id=membership.user_id,
            rejected_by=actor.id,
            reason=reason,
        ),
    )
    return membership


async def _decide(
    uow: UnitOfWork, actor: Actor, community_id: str, member_id: str, status: MemberStatus
) -> Membership:
    """Move a pending member on; of two stewards deciding at once, one wins, the other gets 409."""
    await acting(uow.session, community_id=community_id, actor=actor, permission=Permission.APPROVE)
    membership = await get_member(
        session=uow.session, community_id=community_id, member_id=member_id
    )
    if not await member_changes.change_if(
        uow.session, membership, statuses=[MemberStatus.PENDING], status=status
    ):
        raise WrongMemberStatus(membership, "pending")
    return membership


# --- roles and ownership ---------------------------------------------------------------------


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
        await _announce_community(uow, steward.community)
    await _set_role(uow, membership, role, by=actor)
    return membership


async def _step_down(uow: UnitOfWork, community: Community, *, by: Actor) -> None:
    """The owner becomes an admin, unless a concurrent transfer already made them one."""
    owner = await repository.find_membership(
        uow.session, community_id=community.id, user_id=community.owner_user_id
    )
    if owner is None or owner.role != Role.OWNER:
        raise Conflict("The community's ownership changed meanwhile; try again.")
    await _set_role(uow, owner, Role.ADMIN, by=by)


async def _set_role(uow: UnitOfWork, membership: Membership, role: Role, *, by: Actor) -> None:
    """Change the role the member had when loaded; if another request changed it since, 409."""
    previous = membership.role
    if not await member_changes.change_if(uow.session, membership, roles=[previous], role=role):
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


# --- leaving and removal ---------------------------------------------------------------------


async def leave_or_remove(
    *, uow: UnitOfWork, actor: Actor, community_id: str, member_id: str
) -> Membership:
    """The member themselves leaves (`member.left`); a steward removes them (`member.removed`),
    after which only approval lets them back. The owner does neither."""
    session = uow.session
    await get_community(session=session, community_id=community_id)
    target = await repository.get_membership(
        session, community_id=community_id, member_id=member_id
    )
    leaving = target is not None and target.user_id == actor.id
    remover = (
        None
        if leaving
        else await acting(
            session, community_id=community_id, actor=actor, permission=Permission.REMOVE
        )
    )
    membership = (
        target
        if target is not None
        else await get_member(session=session, community_id=community_id, member_id=member_id)
    )
    if membership.role == Role.OWNER:
        raise TransferOwnershipFirst("leave or be removed")
    if remover is not None and membership.role == Role.ADMIN and not remover.is_owner:
        raise OwnerOnly("remove an admin")
    status = MemberStatus.LEFT if leaving else MemberStatus.REMOVED
    if not await member_changes.change_if(
        session, membership, statuses=CURRENT_STATUSES, status=status
    ):
        raise WrongMemberStatus(membership, "pending, active or muted")
    now = utc_now()
    base = {"community_id": community_id, "member_id": member_id, "user_id": membership.user_id}
    if leaving:
        await uow.outbox.add(session, MemberLeft(**base, left_at=now))
    else:
        await uow.outbox.add(session, MemberRemoved(**base, removed_by=actor.id, removed_at=now))
    return membership


# --- self-service ----------------------------------------------------------------------------


async def my_memberships(
    *,
    session: AsyncSession,
    actor: Actor,
    status: MemberStatus | None,
    after_id: str | None,
    limit: int,
) -> Sequence[Row[Membership, str]]:
    """The caller's memberships in every community, whatever their status."""
    return await member_changes.memberships_of_user(
        session, user_id=actor.id, status=status, after_id=after_id, limit=limit
    )
