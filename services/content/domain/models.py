"""The content domain's vocabulary and errors; no FastAPI, no SQL."""

from enum import StrEnum

from services.common.errors import NotFound


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


class ContentNotFound(NotFound):
    slug = "content-not-found"

    def __init__(self, content_id: str) -> None:
        super().__init__(f"No content item {content_id!r}.", content_id=content_id)
