"""Using an invite code (裂变): a code lets someone in, even into an invite-only community, and
records who brought them; the referral counts once the join takes effect."""

from datetime import datetime

from services.common.errors import Forbidden
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.members.storage import invites as invite_storage
from services.members.storage.tables import Invite


class InviteInvalid(Forbidden):
    slug = "invite-invalid"

    def __init__(self) -> None:
        super().__init__("This invite code is not valid for this community.")


class InviteExpired(Forbidden):
    slug = "invite-expired"

    def __init__(self, expires_at: datetime) -> None:
        super().__init__(
            f"This invite code expired at {expires_at.isoformat()}.",
            expires_at=expires_at.isoformat(),
        )


class InviteUsedUp(Forbidden):
    slug = "invite-used-up"

    def __init__(self, max_uses: int) -> None:
        super().__init__(
            f"This invite code has been used its {max_uses} time(s) already.", max_uses=max_uses
        )


async def redeem(uow: UnitOfWork, *, community_id: str, code: str) -> Invite:
    """Take one use of the code, or say why it cannot be used (403: invalid, expired, used up).
    The use is part of the join's transaction: a join that fails gives it back."""
    now = utc_now()
    invite = await invite_storage.take_use(
        uow.session, community_id=community_id, code=code, now=now
    )
    if invite is not None:
        return invite
    refused = await invite_storage.find_invite(uow.session, community_id=community_id, code=code)
    if refused is None:
        raise InviteInvalid
    if refused.expires_at is not None and refused.expires_at <= now:
        raise InviteExpired(refused.expires_at)
    raise InviteUsedUp(refused.max_uses or 0)


async def credit_referral(uow: UnitOfWork, *, inviter_id: str | None) -> None:
    """Count a referral for the member who brought someone in, once that join takes effect."""
    if inviter_id is not None:
        await invite_storage.count_referral(uow.session, inviter_id)
