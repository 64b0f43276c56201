"""The membership use cases: reading members, the caller's own memberships, and announcing a
join once it takes effect."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import MemberJoined
from services.common.events.catalogue.vocabulary import Role
from services.common.unit_of_work import UnitOfWork
from services.members.invites.service import credit_referral
from services.members.memberships import repository
from services.members.memberships.errors import MemberNotFound
from services.members.memberships.rules import MemberStatus
from services.members.tables import Membership


async def announce_joined(uow: UnitOfWork, membership: Membership) -> None:
    """Write `member.joined` and credit the inviter's referral: the join takes effect now."""
    # A referral counts when the join takes effect, which is when it is announced.
    await credit_referral(uow, inviter_id=membership.invited_by)
    await uow.outbox.add(uow.session, MemberJoined(**membership_snapshot(membership)))


def membership_snapshot(membership: Membership) -> dict[str, Any]:
    """The fields of a `MembershipSnapshot` event (`member.joined`, `member.approved`)."""
    fields = ("community_id", "user_id", "display_name", "status", "role", "tier_id", "invited_by")
    return {
        "member_id": membership.id,
        "joined_at": membership.joined_at,
        "tags": list(membership.tags),
        **{name: getattr(membership, name) for name in fields},
    }


async def get_member(*, session: AsyncSession, community_id: str, member_id: str) -> Membership:
    """The membership, or MemberNotFound (also when the community does not exist)."""
    membership = await repository.get_membership(
        session, community_id=community_id, member_id=member_id
    )
    if membership is None:
        raise MemberNotFound(member_id)
    return membership


async def list_members(
    *,
    session: AsyncSession,
    community_id: str,
    status: MemberStatus | None,
    role: Role | None,
    user_id: str | None = None,
    tier_id: str | None = None,
    tag: str | None = None,
    segment: str | None = None,
    after_id: str | None,
    limit: int,
) -> Sequence[Membership]:
    """Members of a community, in joining order (the caller was admitted by
    `permissions.service.acting`)."""
    return await repository.list_memberships(
        session,
        community_id=community_id,
        status=status,
        role=role,
        user_id=user_id,
        tier_id=tier_id,
        tag=tag,
        segment=segment,
        after_id=after_id,
        limit=limit,
    )


async def my_memberships(
    *,
    session: AsyncSession,
    actor: Actor,
    status: MemberStatus | None,
    after_id: str | None,
    limit: int,
) -> list[tuple[Membership, str]]:
    """The caller's memberships in every community, whatever their status."""
    return await repository.memberships_of_user(
        session, user_id=actor.id, status=status, after_id=after_id, limit=limit
    )
