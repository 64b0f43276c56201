"""Events the events service publishes."""

from datetime import datetime

from services.common.events.catalogue.base import DomainEvent, register


@register
class EventCreated(DomainEvent):
    type = "event.created"
    source = "events"
    subject_field = "event_id"

    community_id: str
    event_id: str
    title: str
    kind: str
    format: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None = None
