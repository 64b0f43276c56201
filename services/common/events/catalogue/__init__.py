"""The event catalogue: one Pydantic model per wire type, registered explicitly by that type, in
one module per publishing service.

`GET /v1/event-types` publishes these schemas, and webhooks deliver `data` in these shapes.
Adding optional fields is fine; a change of meaning is a new type (`….v2`).
"""

from services.common.events.catalogue.base import (
    ALL_TOPICS,
    EVENT_TYPES,
    SOURCES,
    DomainEvent,
    dlq_topic,
    parse,
    register,
    schemas,
    topic_of,
)
from services.common.events.catalogue.content import (
    ContentApproved,
    ContentArchived,
    ContentCreated,
    ContentFlagged,
    ContentPublished,
    ContentRejected,
    ContentScheduled,
    ContentSubmitted,
    PollVoted,
    ScreeningHit,
)
from services.common.events.catalogue.events import (
    AttendanceCheckedIn,
    ChallengeCheckedIn,
    EventCreated,
    FeedbackSubmitted,
    RegistrationConfirmed,
)
from services.common.events.catalogue.members import (
    CommunityCreated,
    CommunityUpdated,
    InviteCreated,
    MemberApproved,
    MemberJoined,
    MemberLeft,
    MemberRejected,
    MemberRemoved,
    MemberRoleChanged,
    MembershipSnapshot,
    UserErased,
)
from services.common.events.catalogue.scoring import (
    PERIOD_CLOSE_TOP,
    ActivityRecorded,
    LeaderboardPeriodClosed,
    RankedMember,
)

__all__ = [
    "ALL_TOPICS",
    "EVENT_TYPES",
    "PERIOD_CLOSE_TOP",
    "SOURCES",
    "ActivityRecorded",
    "AttendanceCheckedIn",
    "ChallengeCheckedIn",
    "CommunityCreated",
    "CommunityUpdated",
    "ContentApproved",
    "ContentArchived",
    "ContentCreated",
    "ContentFlagged",
    "ContentPublished",
    "ContentRejected",
    "ContentScheduled",
    "ContentSubmitted",
    "DomainEvent",
    "EventCreated",
    "FeedbackSubmitted",
    "InviteCreated",
    "LeaderboardPeriodClosed",
    "MemberApproved",
    "MemberJoined",
    "MemberLeft",
    "MemberRejected",
    "MemberRemoved",
    "MemberRoleChanged",
    "MembershipSnapshot",
    "PollVoted",
    "RankedMember",
    "RegistrationConfirmed",
    "ScreeningHit",
    "UserErased",
    "dlq_topic",
    "parse",
    "register",
    "schemas",
    "topic_of",
]
