"""The errors of memberships: an unknown member, or one whose status does not allow a change."""

from services.common.errors import Conflict, NotFound
from services.members.tables import Membership


class MemberNotFound(NotFound):
    slug = "member-not-found"

    def __init__(self, member_id: str) -> None:
        super().__init__(f"No member {member_id!r} in this community.", member_id=member_id)


class WrongMemberStatus(Conflict):
    slug = "wrong-member-status"

    def __init__(self, membership: Membership, expected: str) -> None:
        super().__init__(
            f"Member {membership.id!r} is {membership.status}; this needs a member who is "
            f"{expected}.",
            member_id=membership.id,
            member_status=membership.status,
        )
