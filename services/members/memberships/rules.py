"""A membership's statuses."""

from enum import StrEnum


class MemberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    MUTED = "muted"
    REMOVED = "removed"
    LEFT = "left"
    REJECTED = "rejected"


# No longer in the community: joining again takes them back under their old member id.
GONE_STATUSES = (MemberStatus.LEFT, MemberStatus.REMOVED, MemberStatus.REJECTED)
