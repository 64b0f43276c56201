"""The scoring domain's vocabulary and errors; no FastAPI, no SQL."""

from dataclasses import dataclass
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


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


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
