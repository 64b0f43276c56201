"""The content domain's vocabulary, its workflow and its errors; no FastAPI, no SQL."""

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound


class ContentKind(StrEnum):
    ARTICLE = "article"
    ANNOUNCEMENT = "announcement"
    BRIEF = "brief"
    NEWS = "news"
    EXPERT_OPINION = "expert_opinion"
    USER_STORY = "user_story"
    REVIEW = "review"
    TUTORIAL = "tutorial"
    DISCUSSION_TOPIC = "discussion_topic"
    POLL = "poll"


class ContentSource(StrEnum):
    OFFICIAL = "official"
    MEMBER = "member"
    PARTNER = "partner"


class ContentStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ScreeningAction(StrEnum):
    REJECT = "reject"
    FLAG = "flag"


# Roles that curate content: create official and partner content, review, schedule, publish.
EDITOR_ROLES: Final = frozenset({"owner", "admin", "assistant", "recorder"})
# Roles that set a community's publishing and screening rules.
RULE_SETTER_ROLES: Final = frozenset({"owner", "admin"})

EDITABLE_STATUSES: Final = frozenset({ContentStatus.DRAFT, ContentStatus.REJECTED})

S = ContentStatus
# The workflow, whole: each action and the moves it may make (from → to). Anything else is a
# 409 naming the item's current status. Submitting moves to in_review, or straight to rejected
# when screening rejects; a rejected item may be edited and submitted again.
MOVES: Final[Mapping[str, Mapping[ContentStatus, frozenset[ContentStatus]]]] = {
    "submit": {
        S.DRAFT: frozenset({S.IN_REVIEW, S.REJECTED}),
        S.REJECTED: frozenset({S.IN_REVIEW, S.REJECTED}),
    },
    "approve": {S.IN_REVIEW: frozenset({S.APPROVED})},
    "reject": {S.IN_REVIEW: frozenset({S.REJECTED})},
    "schedule": {
        S.APPROVED: frozenset({S.SCHEDULED}),
        # Moving a scheduled item to another time.
        S.SCHEDULED: frozenset({S.SCHEDULED}),
    },
    "publish": {
        S.APPROVED: frozenset({S.PUBLISHED}),
        S.SCHEDULED: frozenset({S.PUBLISHED}),
    },
    "archive": {S.PUBLISHED: frozenset({S.ARCHIVED})},
}


class ContentNotFound(NotFound):
    slug = "content-not-found"

    def __init__(self, content_id: str) -> None:
        super().__init__(f"No content item {content_id!r}.", content_id=content_id)


class SeriesNotFound(NotFound):
    slug = "series-not-found"

    def __init__(self, series_id: str) -> None:
        super().__init__(f"No series {series_id!r}.", series_id=series_id)


class IllegalTransition(Conflict):
    slug = "illegal-transition"

    def __init__(self, *, action: str, current: str) -> None:
        allowed = sorted(MOVES.get(action, {}))
        super().__init__(
            f"Cannot {action} an item that is {current}; {action} applies to: "
            f"{', '.join(allowed) or 'nothing'}.",
            action=action,
            current_status=current,
            allowed_from=allowed,
        )


class NotEditable(Conflict):
    slug = "not-editable"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"An item that is {current} cannot be edited; only draft and rejected ones can.",
            current_status=current,
        )


class PublishingRuleBroken(Conflict):
    slug = "publishing-rule"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail, rule=rule)


class NotYourContent(Forbidden):
    slug = "not-your-content"

    def __init__(self) -> None:
        super().__init__(
            "Only its author or an owner, admin, assistant or recorder may do this.",
            roles=sorted(EDITOR_ROLES),
        )


class NotYourVote(Forbidden):
    slug = "not-your-vote"

    def __init__(self) -> None:
        super().__init__("Members vote for themselves: member_id must be your own member id.")


class AlreadyVoted(Conflict):
    slug = "already-voted"

    def __init__(self, member_id: str) -> None:
        super().__init__(f"Member {member_id!r} has voted in this poll.", member_id=member_id)


class NotAPoll(Conflict):
    slug = "not-a-poll"

    def __init__(self, content_id: str) -> None:
        super().__init__(f"Content item {content_id!r} is not a poll.", content_id=content_id)


class PollNotOpen(Conflict):
    slug = "poll-not-open"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"Votes are taken while a poll is published; this one is {current}.",
            current_status=current,
        )


class UnknownOption(InvalidInput):
    status, slug = 422, "unknown-option"

    def __init__(self, option: str, options: list[str]) -> None:
        super().__init__(
            f"{option!r} is not one of this poll's options.", field="option", options=options
        )


class UnknownAuthor(InvalidInput):
    status, slug = 422, "unknown-author"

    def __init__(self, member_id: str) -> None:
        super().__init__(f"The community has no member {member_id!r}.", field="author_member_id")


def target(action: str, current: str, wanted: ContentStatus) -> ContentStatus:
    """`wanted` if the workflow lets `action` move an item from `current` to it; else
    IllegalTransition naming the current status."""
    moves = MOVES[action].get(ContentStatus(current), frozenset())
    if wanted not in moves:
        raise IllegalTransition(action=action, current=current)
    return wanted
