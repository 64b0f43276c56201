"""The scoring domain's vocabulary and errors; no FastAPI, no SQL."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from services.common.errors import NotFound


class ActivityType(StrEnum):
    MESSAGE = "message"
    REPLY = "reply"
    REACTION = "reaction"
    SHARE = "share"
    CONTENT_VIEW = "content_view"
    CHECKIN = "checkin"
    INVITE_ACCEPTED = "invite_accepted"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


class RejectionReason(StrEnum):
    # Also said of a community the caller is not in: strangers cannot tell the two apart.
    UNKNOWN_COMMUNITY = "unknown_community"
    # A member of the community without a role that may report activities (owner, admin).
    NOT_ALLOWED = "not_allowed"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_TARGET_MEMBER = "unknown_target_member"


@dataclass(frozen=True)
class Rejection:
    """An item of a batch that was not recorded, and why; the rest of the batch was."""

    index: int
    id: str
    reason: RejectionReason


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    rejected: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True)
class Standing:
    """One line of a leaderboard."""

    rank: int
    member_id: str
    display_name: str | None
    score: float


@dataclass(frozen=True)
class Engagement:
    community_id: str
    member_id: str
    display_name: str | None
    score: float
    activity_count: int
    last_active_at: datetime | None
    # None while the member has no activity: they are on no leaderboard yet.
    rank: int | None


class MemberNotFound(NotFound):
    slug = "member-not-found"

    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"No member {member_id!r} is known to scoring in this community.", member_id=member_id
        )
