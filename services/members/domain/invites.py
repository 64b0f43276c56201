"""Making invite codes (owners, admins, diplomats and assistants)."""

import secrets
from datetime import datetime

from services.common.auth import Actor
from services.common.events.catalogue import InviteCreated
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.domain.admission import acting
from services.members.domain.permissions import Permission
from services.members.storage import repository
from services.members.storage.tables import Invite

# 16 random bytes: codes are shared in the open, so they must not be guessable.
_CODE_BYTES = 16


async def create_invite(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    max_uses: int | None,
    expires_at: datetime | None,
) -> Invite:
    """Make an invite code (owner, admin, diplomat or assistant)."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.MANAGE_INVITES
    )
    own = await repository.find_membership(uow.session, community_id=community_id, user_id=actor.id)
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
