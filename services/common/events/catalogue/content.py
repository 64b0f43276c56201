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
