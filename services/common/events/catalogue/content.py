"""Events the content service publishes."""

from datetime import datetime

from services.common.events.catalogue.base import DomainEvent, register


@register
class ContentCreated(DomainEvent):
    type = "content.created"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    title: str
    source_kind: str
    author_member_id: str | None = None
    created_at: datetime


# The events below are the contract scoring credits activities from (content_published,
# ugc_approved, poll vote); the content service may add optional fields, never remove these.


@register
class ContentApproved(DomainEvent):
    """A reviewer approved an item; scoring credits `ugc_approved` when `source_kind` is member."""

    type = "content.approved"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    source_kind: str
    author_member_id: str | None = None
    approved_by: str
    approved_at: datetime


@register
class ContentPublished(DomainEvent):
    """An item went out; `late` when the publisher fired after its scheduled time (downtime)."""

    type = "content.published"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    title: str
    source_kind: str
    author_member_id: str | None = None
    tier_ids: list[str] = []
    scheduled_at: datetime | None = None
    published_at: datetime
    late: bool = False


@register
class PollVoted(DomainEvent):
    type = "poll.voted"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    member_id: str
    option: str
    voted_at: datetime
