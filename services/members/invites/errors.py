"""Why an invite code cannot be used (403s whose type says why)."""

from datetime import datetime

from services.common.errors import Forbidden, NotFound


class InviteRequired(Forbidden):
    slug = "invite-required"

    def __init__(self) -> None:
        super().__init__("This community is invite-only: a valid invite_code is required.")


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


class InviteRevoked(Forbidden):
    slug = "invite-revoked"

    def __init__(self) -> None:
        super().__init__("This invite code was revoked.")


class InviteNotFound(NotFound):
    slug = "invite-not-found"

    def __init__(self, invite_id: str) -> None:
        super().__init__(f"No invite {invite_id!r}.", invite_id=invite_id)
