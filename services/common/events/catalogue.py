"""The event catalogue: one Pydantic model per wire type, registered explicitly by that type.

`GET /v1/event-types` publishes these schemas, and webhooks deliver `data` in these shapes.
Adding optional fields is fine; a change of meaning is a new type (`….v2`).
"""

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from services.common.events.envelope import CloudEvent
from services.common.fields import JsonObject

SOURCES = ("members", "content", "events", "scoring", "activities")


def topic_of(source: str) -> str:
    return f"huoli.{source}"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


ALL_TOPICS = tuple(topic_of(source) for source in SOURCES)


class DomainEvent(BaseModel):
    """Base of every event's `data`; subclasses fix `type` (wire name) and `source`."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: ClassVar[str]
    source: ClassVar[str]

    @classmethod
    def kafka_topic(cls) -> str:
        return topic_of(cls.source)


EVENT_TYPES: dict[str, type[DomainEvent]] = {}


def register(event_class: type[DomainEvent]) -> type[DomainEvent]:
    if event_class.type in EVENT_TYPES:
        raise ValueError(f"event type {event_class.type!r} registered twice")
    if event_class.source not in SOURCES:
        raise ValueError(f"event type {event_class.type!r} has unknown source")
    EVENT_TYPES[event_class.type] = event_class
    return event_class


def parse(envelope: CloudEvent) -> DomainEvent | None:
    """The typed `data` of an envelope, or None for a type this catalogue does not know."""
    event_class = EVENT_TYPES.get(envelope.type)
    if event_class is None:
        return None
    return event_class.model_validate(envelope.data)


def schemas() -> dict[str, dict[str, Any]]:
    return {name: cls.model_json_schema() for name, cls in sorted(EVENT_TYPES.items())}


# --- members ---------------------------------------------------------------------------------


@register
class CommunityCreated(DomainEvent):
    type = "community.created"
    source = "members"

    community_id: str
    name: str
    topic: str | None = None
    join_policy: str
    timezone: str
    owner_user_id: str
    created_at: datetime


@register
class MemberJoined(DomainEvent):
    type = "member.joined"
    source = "members"

    community_id: str
    member_id: str
    user_id: str
    display_name: str
    status: str
    role: str
    tier_id: str | None = None
    invited_by: str | None = None
    joined_at: datetime


# --- content ---------------------------------------------------------------------------------


@register
class ContentCreated(DomainEvent):
    type = "content.created"
    source = "content"

    community_id: str
    content_id: str
    kind: str
    title: str
    source_kind: str
    author_member_id: str | None = None
    created_at: datetime


# --- events ----------------------------------------------------------------------------------


@register
class EventCreated(DomainEvent):
    type = "event.created"
    source = "events"

    community_id: str
    event_id: str
    title: str
    kind: str
    format: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None = None


# --- activities ------------------------------------------------------------------------------


@register
class ActivityRecorded(DomainEvent):
    type = "activity.recorded"
    source = "activities"

    activity_id: str
    community_id: str
    member_id: str
    activity_type: str
    occurred_at: datetime
    target_member_id: str | None = None
    content_id: str | None = None
    # The API's own type: an activity the API accepted is one the ledger can take.
    attrs: JsonObject = {}
