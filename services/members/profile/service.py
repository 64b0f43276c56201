"""Editing a member (PATCH): the member edits their name and tags; stewards (the
`manage_tiers` permission) edit those too and lock a member or put them on leave, which keeps
the tier policy from moving them."""

from typing import Any

from services.common.auth import Actor
from services.common.events.catalogue import MemberUpdated
from services.common.unit_of_work import UnitOfWork
from services.members.memberships import repository as membership_repository
from services.members.memberships.service import get_member
from services.members.permissions.errors import PermissionRequired
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Membership

STEWARD_FIELDS = frozenset({"locked", "on_leave"})


async def update_member(
    *, uow: UnitOfWork, actor: Actor, community_id: str, member_id: str, changes: dict[str, Any]
) -> Membership:
    """Change a member's display name or tags (themselves or a steward), or `locked` and
    `on_leave` (stewards); `member.updated` if anything changed."""
    session = uow.session
    caller = await acting(session, community_id=community_id, actor=actor, permission=None)
    membership = await get_member(session=session, community_id=community_id, member_id=member_id)
    steward = caller.may(Permission.MANAGE_TIERS)
    if not steward and (membership.user_id != actor.id or STEWARD_FIELDS & changes.keys()):
        raise PermissionRequired(Permission.MANAGE_TIERS)
    changed = {name: value for name, value in changes.items() if getattr(membership, name) != value}
    if not changed:
        return membership
    if not await membership_repository.change_if(session, membership, **changed):
        raise AssertionError("a membership loaded in this transaction disappeared")
    await uow.outbox.add(
        session,
        MemberUpdated(
            community_id=community_id,
            member_id=member_id,
            user_id=membership.user_id,
            display_name=membership.display_name,
            tags=membership.tags,
            locked=membership.locked,
            on_leave=membership.on_leave,
            updated_by=actor.id,
        ),
    )
    return membership
