"""Why a check-in is refused."""

from datetime import datetime

from services.common.errors import Conflict, Forbidden


class WrongCheckinCode(Forbidden):
    slug = "wrong-checkin-code"

    def __init__(self) -> None:
        super().__init__("The check-in code is wrong.", field="code")


class NotRegistered(Conflict):
    slug = "not-registered"

    def __init__(self, member_id: str) -> None:
        super().__init__("The member holds no confirmed seat at this event.", member_id=member_id)


class AlreadyCheckedIn(Conflict):
    slug = "already-checked-in"

    def __init__(self, checked_in_at: datetime | None) -> None:
        super().__init__(
            "Already checked in.",
            checked_in_at=checked_in_at.isoformat() if checked_in_at else None,
        )
