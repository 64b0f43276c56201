"""Request and response shapes of the events API."""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from services.common.fields import NoNul, ResourceId, Timestamp
from services.events.domain.models import EventFormat, EventKind, EventStatus

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    NoNul,
]
Description = Annotated[str, StringConstraints(min_length=1, max_length=5000), NoNul]
Location = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    NoNul,
]


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    if any(char.isspace() or ord(char) < 32 for char in value):
        raise ValueError("must not contain whitespace or control characters")
    return value


WebUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_web_url)
]


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    kind: EventKind
    format: EventFormat
    location: Location | None = None
    url: WebUrl | None = None
    starts_at: Timestamp
    ends_at: Timestamp
    # Bounded so that no request can overflow the column.
    capacity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    registration_opens_at: Timestamp | None = None
    registration_closes_at: Timestamp | None = None
    tier_ids: Annotated[list[ResourceId], Field(max_length=20)] = []

    # Field validators (not a model validator) so that the error names the offending field.
    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and ends_at <= starts_at:
            raise ValueError("must be after starts_at")
        return ends_at

    @field_validator("registration_opens_at")
    @classmethod
    def _opens_before_end(cls, opens_at: datetime | None, info: ValidationInfo) -> datetime | None:
        ends_at = info.data.get("ends_at")
        if opens_at is not None and ends_at is not None and opens_at >= ends_at:
            raise ValueError("must be before ends_at")
        return opens_at

    @field_validator("registration_closes_at")
    @classmethod
    def _closes_in_window(cls, closes_at: datetime | None, info: ValidationInfo) -> datetime | None:
        if closes_at is None:
            return None
        opens_at = info.data.get("registration_opens_at")
        ends_at = info.data.get("ends_at")
        if opens_at is not None and closes_at <= opens_at:
            raise ValueError("must be after registration_opens_at")
        if ends_at is not None and closes_at > ends_at:
            raise ValueError("must not be after ends_at")
        return closes_at


class EventPublic(BaseModel):
    """An event as anyone may see it: without the check-in code."""

    id: str
    community_id: str
    title: str
    description: str | None
    kind: EventKind
    format: EventFormat
    location: str | None
    url: str | None
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    tier_ids: list[str]
    status: EventStatus
    created_by: str
    created_at: datetime
    updated_at: datetime


class EventCreatedPublic(EventPublic):
    """The answer to the event's creator, who hands the check-in code out at the venue."""

    checkin_code: str
