"""The words every service shares, defined once: activity types and their default weights, the
community roles, and what an erased person becomes. A service that needs one imports it from
here; a copy would drift (members once ranked check-ins at 5 points where scoring gave 2)."""

from collections.abc import Mapping
from enum import StrEnum


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


# Points per activity before a community's own scoring rules change them.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    ActivityType.MESSAGE: 1.0,
    ActivityType.REPLY: 2.0,
    ActivityType.REACTION: 0.5,
    ActivityType.REACTION_RECEIVED: 1.0,
    ActivityType.REPLY_RECEIVED: 1.0,
    ActivityType.SHARE: 3.0,
    ActivityType.CONTENT_VIEW: 0.2,
    ActivityType.CONTENT_PUBLISHED: 5.0,
    ActivityType.UGC_APPROVED: 8.0,
    ActivityType.EVENT_REGISTERED: 2.0,
    ActivityType.EVENT_ATTENDED: 10.0,
    ActivityType.FEEDBACK: 3.0,
    ActivityType.INVITE_ACCEPTED: 15.0,
    ActivityType.CHECKIN: 2.0,
    ActivityType.POLL_VOTE: 1.0,
}


class Role(StrEnum):
    """A member's role in a community, which decides what they may do there."""

    OWNER = "owner"
    ADMIN = "admin"
    ASSISTANT = "assistant"
    EVENT_OFFICER = "event_officer"
    RECORDER = "recorder"
    DESIGNER = "designer"
    DIPLOMAT = "diplomat"
    ENFORCER = "enforcer"
    MEMBER = "member"


# Staff: the roles that see which user (the identity provider's id) a member is, in every
# service; everyone else knows members by their member id only.
USER_ID_VIEWERS: frozenset[Role] = frozenset(
    {Role.OWNER, Role.ADMIN, Role.ASSISTANT, Role.ENFORCER}
)


class Segment(StrEnum):
    """Where a member stands by engagement: scoring derives it (`segment.changed`), the members
    service keeps it to filter members by."""

    CORE = "core"
    ACTIVE = "active"
    CASUAL = "casual"
    SILENT = "silent"
    SLIPPING = "slipping"
    DORMANT = "dormant"
    CHURNED = "churned"
    # The first 14 days of a membership, whatever the score (scoring's segments/rules.py).
    NEWCOMER = "newcomer"


# What an erased person's display name becomes in every service.
ERASED_DISPLAY_NAME = "已注销用户"
# Stands where an erased person's user id was, when nothing needs to tell two of them apart
# (the author of a content item, a lottery's winner).
ERASED = "erased"
ERASED_PREFIX = "erased-"


def erased_user_id(member_id: str) -> str:
    """The user id an erased membership keeps: unique per membership, naming nobody."""
    return f"{ERASED_PREFIX}{member_id}"


class ExitReason(StrEnum):
    """Why a member left, as they said when leaving (流失原因): the members service takes it
    on `DELETE …/members/{mid}` and carries it on `member.left`; scoring breaks churn down by
    it. Free text beside it stays in the members service (personal data, erased with the
    person)."""

    TOO_MANY_MESSAGES = "too_many_messages"
    NOT_RELEVANT = "not_relevant"
    NO_TIME = "no_time"
    FOUND_ALTERNATIVE = "found_alternative"
    BAD_EXPERIENCE = "bad_experience"
    OTHER = "other"
