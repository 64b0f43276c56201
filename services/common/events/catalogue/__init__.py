"""The event catalogue: one Pydantic model per wire type, registered explicitly by that type, in
one module per publishing service.

`GET /v1/event-types` publishes these schemas, and webhooks deliver `data` in these shapes.
Adding optional fields is fine; a change of meaning is a new type (`….v2`).
"""

from services.common.events.catalogue.base import (
    ALL_TOPICS,
    EVENT_TYPES,
    SOURCES,
    DomainEvent,
    dlq_topic,
    parse,
    register,
    schemas,
    topic_of,
)
from services.common.events.catalogue.content import ContentCreated
from services.common.events.catalogue.events import EventCreated
from services.common.events.catalogue.members import (
    CommunityCreated,
    CommunityUpdated,
    InviteCreated,
    MemberApproved,
    MemberJoined,
    MemberLeft,
    MemberRejected,
    MemberRemoved,
    MemberRoleChanged,
    MembershipSnapshot,
)
from services.common.events.catalogue.scoring import ActivityRecorded

__all__ = [
    "ALL_TOPICS",
    "EVENT_TYPES",
    "SOURCES",
    "ActivityRecorded",
    "CommunityCreated",
    "CommunityUpdated",
    "ContentCreated",
    "DomainEvent",
    "EventCreated",
    "InviteCreated",
    "MemberApproved",
    "MemberJoined",
    "MemberLeft",
    "MemberRejected",
    "MemberRemoved",
    "MemberRoleChanged",
    "MembershipSnapshot",
    "dlq_topic",
    "parse",
    "register",
    "schemas",
    "topic_of",
]
