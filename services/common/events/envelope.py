"""The CloudEvents 1.0 envelope (structured JSON mode) every Kafka message carries."""

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


def utc_now() -> datetime:
    return datetime.now(UTC)


class CloudEvent(BaseModel):
    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1)
    source: str
    type: str
    time: datetime = Field(default_factory=utc_now)
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    communityid: str | None = None
    # The CloudEvents distributed-tracing extension: the W3C trace context of the request (or
    # event) that caused this one. Stored with the outbox row, so it links the event to its
    # cause however late the relay publishes it. Before `data`, so the relay finds it at once.
    traceparent: str | None = None
    data: dict[str, Any]
