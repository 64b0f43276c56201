"""What a content item is and the workflow it moves through: its kinds, sources and statuses,
the roles that curate content, and every legal move (action → from → to); pure, no I/O."""

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from services.common.events.catalogue.vocabulary import Role
from services.content.items.errors import IllegalTransition


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
    # Never to be published: its author's data was erased while it waited (no move leads out).
    WITHDRAWN = "withdrawn"


# Roles that curate content: create official and partner content, review, schedule, publish.
EDITOR_ROLES: Final = frozenset({Role.OWNER, Role.ADMIN, Role.ASSISTANT, Role.RECORDER})
# Roles that set a community's publishing and screening rules.
RULE_SETTER_ROLES: Final = frozenset({Role.OWNER, Role.ADMIN})

EDITABLE_STATUSES: Final = frozenset({ContentStatus.DRAFT, ContentStatus.REJECTED})
# Items only their author and editors see: unfinished work, and what screening or a reviewer
# turned down (with the screening's hits).
PRIVATE_STATUSES: Final = frozenset(
    {
        ContentStatus.DRAFT,
        ContentStatus.IN_REVIEW,
        ContentStatus.REJECTED,
        ContentStatus.WITHDRAWN,
    }
)

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
    # A moderation case resolved `archive_content`: whatever members may see goes, published or
    # waiting for its slot (an item still private to its author and editors was never shown).
    "moderate": {
        S.APPROVED: frozenset({S.ARCHIVED}),
        S.SCHEDULED: frozenset({S.ARCHIVED}),
        S.PUBLISHED: frozenset({S.ARCHIVED}),
    },
}


def target(action: str, current: str, wanted: ContentStatus) -> ContentStatus:
    """`wanted` if the workflow lets `action` move an item from `current` to it; else
    IllegalTransition naming the current status."""
    moves = MOVES[action].get(ContentStatus(current), frozenset())
    if wanted not in moves:
        raise IllegalTransition(action=action, current=current, allowed_from=MOVES[action])
    return wanted
