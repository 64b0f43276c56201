"""Why a join is refused beyond the invite's and the tier's own reasons."""

from services.common.errors import Conflict


class AlreadyMember(Conflict):
    slug = "already-member"

    def __init__(self, user_id: str) -> None:
        super().__init__(f"User {user_id!r} has already joined this community.", user_id=user_id)
