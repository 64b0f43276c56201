"""Request and response shapes of the webhook endpoints, and the gateway's own event types."""

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul, ResourceId, Timestamp

MAX_EVENT_TYPES = 100

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048), NoNul]
Description = Annotated[str, StringConstraints(max_length=500), NoNul]


# Known types are checked against the catalogue by the use case; this bounds the text.
EventTypeName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$|^\*$"),
]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    # Wire types from GET /v1/event-types; "*" for every type.
    event_types: list[EventTypeName] = Field(min_length=1, max_length=MAX_EVENT_TYPES)
    # Absent: every community's events (platform admins only).
    community_id: ResourceId | None = None
    description: Description | None = None


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: list[EventTypeName] | None = Field(
        default=None, min_length=1, max_length=MAX_EVENT_TYPES
    )
    description: Description | None = None
    # false disables deliveries (they wait); true enables them again after a disable.
    enabled: bool | None = None
    # true: a new secret is made and returned; the old one stays valid for 24 hours.
    rotate_secret: bool = False


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    community_id: str | None
    description: str | None
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookPublic):
    # Shown on creation and on rotation only.
    secret: str


class AttemptPublic(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryPublic(BaseModel):
    id: str
    event_id: str
    event_type: str
    community_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    attempt_log: list[AttemptPublic]


class RedeliverFailed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: Timestamp


class Redelivery(BaseModel):
    redelivered: int


class PingSent(BaseModel):
    delivery_id: str
    event_id: str


class EventTypePublic(BaseModel):
    type: str
    source: str
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema")

    model_config = ConfigDict(populate_by_name=True)


class EventTypeList(BaseModel):
    items: list[EventTypePublic]


# --- the gateway's own event types, delivered by webhooks only ---------------------------------
# (`webhook.disabled` is published on Kafka too, so it is in the catalogue with the others.)


class WebhookPing(BaseModel):
    """Sent by POST /v1/webhooks/{id}/ping."""

    type: ClassVar[str] = "webhook.ping"
    webhook_id: str


GATEWAY_EVENT_TYPES: dict[str, type[BaseModel]] = {
    WebhookPing.type: WebhookPing,
}
