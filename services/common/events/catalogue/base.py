"""What every event type is: a Pydantic model of its `data`, registered once by its wire type."""

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from services.common.events.envelope import CloudEvent

SOURCES = ("members", "content", "events", "scoring", "activities", "gateway")


def topic_of(source: str) -> str:
    return f"huoli.{source}"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


ALL_TOPICS = tuple(topic_of(source) for source in SOURCES)


class DomainEvent(BaseModel):
    """Base of every event's `data`.

    Subclasses fix `type` (wire name), `source` (and so the topic) and `subject_field`, the field
    naming what the event is about (the envelope's `subject`). `community_field` names the
    community: the envelope's `communityid` and the Kafka key, so one community's events stay in
    order on one partition.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    type: ClassVar[str]
    source: ClassVar[str]
    subject_field: ClassVar[str]
    community_field: ClassVar[str] = "community_id"

    @classmethod
    def kafka_topic(cls) -> str:
        return topic_of(cls.source)

    def community(self) -> str:
        return str(getattr(self, self.community_field))

    def subject(self) -> str:
        return str(getattr(self, self.subject_field))


EVENT_TYPES: dict[str, type[DomainEvent]] = {}
Event = TypeVar("Event", bound=DomainEvent)


def register(event_class: type[Event]) -> type[Event]:
    if event_class.type in EVENT_TYPES:
        raise ValueError(f"event type {event_class.type!r} registered twice")
    if event_class.source not in SOURCES:
        raise ValueError(f"event type {event_class.type!r} has unknown source")
    for role in ("subject_field", "community_field"):
        # A key or subject that may be absent would put events on no partition or about nothing.
        field = event_class.model_fields.get(getattr(event_class, role, ""))
        if field is None or not field.is_required():
            raise ValueError(f"event type {event_class.type!r}: {role} must name a required field")
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
