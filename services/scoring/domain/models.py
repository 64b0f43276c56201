"""The scoring domain's vocabulary and errors; no FastAPI, no SQL."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from services.common.errors import Conflict, NotFound


class ActivityType(StrEnum):
    MESSAGE = "message"
    REPLY = "reply"
    REACTION = "reaction"
    SHARE = "share"
    CONTENT_VIEW = "content_view"
    CHECKIN = "checkin"
    INVITE_ACCEPTED = "invite_accepted"
    CONTENT_PUBLISHED = "content_published"
    UGC_APPROVED = "ugc_approved"
    EVENT_REGISTERED = "event_registered"
    EVENT_ATTENDED = "event_attended"
    FEEDBACK = "feedback"
    POLL_VOTE = "poll_vote"
    # Credited to the target of a reaction or reply (derived, never ingested directly).
    REACTION_RECEIVED = "reaction_received"
    REPLY_RECEIVED = "reply_received"


DERIVED_TYPES = frozenset({ActivityType.REACTION_RECEIVED, ActivityType.REPLY_RECEIVED})
RECEIVED_TYPE = {
    ActivityType.REACTION: ActivityType.REACTION_RECEIVED,
    ActivityType.REPLY: ActivityType.REPLY_RECEIVED,
}
INGESTIBLE_TYPES = frozenset(str(t) for t in ActivityType if t not in DERIVED_TYPES)


class Outcome(StrEnum):
    CREDITED = "credited"
    CAPPED = "capped"
    COOLED_DOWN = "cooled_down"


class Badge(StrEnum):
    FIRST_EVENT = "first_event"
    STREAK_7 = "streak_7"
    HUNDRED_MESSAGES = "messages_100"
    FIRST_UGC = "first_ugc"
    FIVE_INVITES = "invites_5"
    WEEKLY_TOP3 = "weekly_top3"


class Segment(StrEnum):
    CORE = "core"
    ACTIVE = "active"
    CASUAL = "casual"
    SILENT = "silent"
    SLIPPING = "slipping"
    DORMANT = "dormant"
    CHURNED = "churned"


class Stage(StrEnum):
    GROWING = "growing"
    MATURE = "mature"
    DECLINING = "declining"


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"


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
    UNKNOWN_TYPE = "unknown_type"
    IN_FUTURE = "in_future"


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
class Leaderboard:
    period: Period
    # The period's first local day (None for all time) in the community's timezone.
    period_start: str | None
    timezone: str
    tier_id: str | None
    items: list[Standing]
    # Where the caller stands, if they are a member with points on this board.
    own: Standing | None


@dataclass(frozen=True)
class BreakdownLine:
    type: str
    count: int
    points: float
    capped: int
    cooled_down: int


@dataclass(frozen=True)
class Decay:
    half_life_days: float
    as_of: datetime
    factor_since_last_activity: float | None
    score_at_last_activity: float | None


@dataclass(frozen=True)
class Engagement:
    community_id: str
    member_id: str
    display_name: str | None
    score: float
    points: float
    level: int
    badges: list[str]
    segment: str
    kol: bool
    kol_points: int
    # None while the member has no engagement score: they are on no ranking yet.
    rank: int | None
    activity_count: int
    all_time_points: float
    last_active_at: datetime | None
    breakdown: list[BreakdownLine]
    decay: Decay


class MemberNotFound(NotFound):
    slug = "member-not-found"

    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"No member {member_id!r} is known to scoring in this community.", member_id=member_id
        )


class InsufficientPoints(Conflict):
    slug = "insufficient-points"

    def __init__(self, member_id: str, *, balance: float) -> None:
        super().__init__(
            f"Member {member_id!r} has {balance:g} points; a balance never goes below 0.",
            member_id=member_id,
            balance=balance,
        )
