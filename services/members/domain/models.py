"""The members domain's vocabulary and errors; no FastAPI, no SQL."""

from enum import StrEnum

from services.common.errors import Conflict, Forbidden, NotFound


class JoinPolicy(StrEnum):
    OPEN = "open"
    APPROVAL = "approval"
    INVITE_ONLY = "invite_only"


class MemberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    MUTED = "muted"
    REMOVED = "removed"
    LEFT = "left"
    REJECTED = "rejected"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    ASSISTANT = "assistant"
    EVENT_OFFICER = "event_officer"
    RECORDER = "recorder"
    DESIGNER = "designer"
    DIPLOMAT = "diplomat"
    ENFORCER = "enforcer"
    MEMBER = "member"


class MemberNotFound(NotFound):
    slug = "member-not-found"

    def __init__(self, member_id: str) -> None:
        super().__init__(f"No member {member_id!r} in this community.", member_id=member_id)


class AlreadyMember(Conflict):
    slug = "already-member"

    def __init__(self, user_id: str) -> None:
        super().__init__(f"User {user_id!r} has already joined this community.", user_id=user_id)


class InviteRequired(Forbidden):
    slug = "invite-required"

    def __init__(self) -> None:
        super().__init__("This community is invite-only: a valid invite_code is required.")


class NotAllowed(Forbidden):
    pass
