"""Making invite codes (owners, admins, diplomats and assistants), and using them (裂变): a code
lets someone in, even into an invite-only community, and records who brought them; the referral
counts once the join takes effect."""

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import InviteCreated
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.invites import repository
from services.members.invites.errors import (
    InviteExpired,
    InviteInvalid,
    InviteNotFound,
    InviteRevoked,
    InviteUsedUp,
)
from services.members.memberships import repository as membership_repository
from services.members.permissions.errors import PermissionRequired
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Invite
from services.members.tiers import repository as tier_repository
from services.members.tiers.errors import TierNotFound

# 16 random bytes: codes are shared in the open, so they must not be guessable.
_CODE_BYTES = 16


async def create_invite(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    max_uses: int | None,
    expires_at: datetime | None,
    tier_id: str | None = None,
) -> Invite:
    """Make an invite code (owner, admin, diplomat or assistant); one that names a tier needs
    `manage_tiers` too (owner, admin)."""
    steward = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.MANAGE_INVITES
    )
    if tier_id is not None:
        if not steward.may(Permission.MANAGE_TIERS):
            raise PermissionRequired(Permission.MANAGE_TIERS)
        if (
            await tier_repository.get_tier(uow.session, community_id=community_id, tier_id=tier_id)
            is None
        ):
            raise TierNotFound(tier_id)
    own = await membership_repository.find_membership(
        uow.session, community_id=community_id, user_id=actor.id
    )
    # A platform admin who is no member of the community invites on nobody's behalf.
    inviter = own if own is not None and own.status in BELONGING_STATUSES else None
    invite = Invite(
        id=new_id("inv"),
        code=secrets.token_urlsafe(_CODE_BYTES),
        community_id=community_id,
        created_by=inviter.id if inviter else None,
        max_uses=max_uses,
        uses=0,
        expires_at=expires_at,
        tier_id=tier_id,
        created_at=utc_now(),
    )
    uow.session.add(invite)
    await uow.outbox.add(
        uow.session,
        InviteCreated(
            community_id=community_id,
            invite_id=invite.id,
            created_by=invite.created_by,
            max_uses=max_uses,
            expires_at=expires_at,
            created_at=invite.created_at,
        ),
    )
    return invite


async def redeem_invite(*, uow: UnitOfWork, community_id: str, code: str) -> Invite:
    """Take one use of the code, or say why it cannot be used (403: invalid, expired, used up).
    The use is part of the join's transaction: a join that fails gives it back."""
    now = utc_now()
    invite = await repository.take_use(uow.session, community_id=community_id, code=code, now=now)
    if invite is not None:
        return invite
    refused = await repository.find_invite(uow.session, community_id=community_id, code=code)
    if refused is None:
        raise InviteInvalid
    if refused.revoked_at is not None:
        raise InviteRevoked
    if refused.expires_at is not None and refused.expires_at <= now:
        raise InviteExpired(refused.expires_at)
    raise InviteUsedUp(refused.max_uses or 0)


async def credit_referral(uow: UnitOfWork, *, inviter_id: str | None) -> None:
    """Count a referral for the member who brought someone in, once that join takes effect."""
    if inviter_id is not None:
        await repository.count_referral(uow.session, inviter_id)


async def list_invites(
    *, session: AsyncSession, actor: Actor, community_id: str, after_id: str | None, limit: int
) -> Sequence[Invite]:
    """The community's invite codes with their uses, revoked ones too (those who manage
    invites: the codes are secrets)."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_INVITES
    )
    return await repository.list_invites(
        session, community_id=community_id, after_id=after_id, limit=limit
    )


async def revoke_invite(
    *, session: AsyncSession, actor: Actor, community_id: str, invite_id: str
) -> Invite:
    """Revoke a code (those who manage invites): it admits nobody from now on; members it
    admitted stay. Revoking a revoked code changes nothing."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_INVITES
    )
    invite = await repository.get_invite(session, community_id=community_id, invite_id=invite_id)
    if invite is None:
        raise InviteNotFound(invite_id)
    if invite.revoked_at is None:
        invite.revoked_at = utc_now()
    return invite
