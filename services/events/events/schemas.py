"""Request and response shapes of events themselves (and the bits other features' shapes share:
`Title`, `EmptyBody`)."""

from datetime import datetime, timedelta
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
from services.events.events.rules import EventFormat, EventKind, EventStatus

# A festival or a week-long volunteering camp, not a year: bounds the volunteer-hours figure.
MAX_EVENT_LENGTH = timedelta(days=31)

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
    # Validated when absent too: the format decides whether they are required.
    location: Location | None = Field(default=None, validate_default=True)
    url: WebUrl | None = Field(default=None, validate_default=True)
    starts_at: Timestamp
    ends_at: Timestamp
    # Bounded so that no request can overflow the column.
    capacity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    registration_opens_at: Timestamp | None = None
    registration_closes_at: Timestamp | None = None
    tier_ids: Annotated[list[ResourceId], Field(max_length=20)] = []
    # Hours a member promoted from the waitlist has to confirm before the seat passes on;
    # absent, promotion confirms at once.
    claim_window_hours: Annotated[StrictInt, Field(ge=1, le=720)] | None = None

    # Field validators (not a model validator) so that the error names the offending field.
    @field_validator("location")
    @classmethod
    def _offline_needs_location(cls, location: str | None, info: ValidationInfo) -> str | None:
        if location is None and info.data.get("format") is EventFormat.OFFLINE:
            raise ValueError("an offline event needs a location")
        return location

    @field_validator("url")
    @classmethod
    def _online_needs_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None and info.data.get("format") is EventFormat.ONLINE:
            raise ValueError("an online event needs a url")
        return url

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and ends_at <= starts_at:
            raise ValueError("must be after starts_at")
        if starts_at is not None and ends_at - starts_at > MAX_EVENT_LENGTH:
            raise ValueError(f"must be at most {MAX_EVENT_LENGTH.days} days after starts_at")
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


class EventUpdate(BaseModel):
    """What an organiser may change before the event starts: the fields sent, checked together
    with the ones kept as EventCreate checks them."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    location: Location | None = None
    url: WebUrl | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    capacity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    registration_opens_at: Timestamp | None = None
    registration_closes_at: Timestamp | None = None
    tier_ids: Annotated[list[ResourceId], Field(max_length=20)] | None = None
    claim_window_hours: Annotated[StrictInt, Field(ge=1, le=720)] | None = None


class EventPublic(BaseModel):
    """An event as anyone may see it: without the check-in code, with its seats."""

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
    claim_window_hours: int | None
    status: EventStatus
    cancel_reason: str | None
    # A user id: to staff and to that user (and in organisers' own answers); null otherwise.
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    # Seats held (confirmed, or offered to a promoted member until they confirm), the
    # waitlist's length, and the seats still free (null: no capacity, never full).
    confirmed: int
    waitlisted: int
    seats_left: int | None


class EventCreatedPublic(EventPublic):
    """The answer to the event's creator, who hands the check-in code out at the venue."""

    checkin_code: str


class EventCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), NoNul
    ]


class EmptyBody(BaseModel):
    """The optional body of actions that need no input (publish, confirm, draw): read all the
    same, so that malformed JSON there is a 400 like on every other write."""

    model_config = ConfigDict(extra="forbid")
