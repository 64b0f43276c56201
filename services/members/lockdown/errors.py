"""Why a join or a lockdown is refused."""

from datetime import datetime

from services.common.errors import Forbidden, NotFound


class CommunityLockedDown(Forbidden):
    slug = "community-locked-down"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"The community is closed to new members until {until.isoformat()}.",
            until=until.isoformat(),
        )


class NoLockdown(NotFound):
    slug = "no-lockdown"

    def __init__(self) -> None:
        super().__init__("The community is not in lockdown.")
