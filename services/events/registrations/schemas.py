"""Request and response shapes of registrations."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.common.fields import ResourceId
from services.events.registrations.rules import RegistrationStatus


class RegistrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: ResourceId


class RegistrationPublic(BaseModel):
    id: str
    event_id: str
    # None once the member's personal data was erased.
    member_id: str | None
    status: RegistrationStatus
    # 1 for the next in line; present while waitlisted.
    waitlist_position: int | None = None
    registered_at: datetime
    confirmed_at: datetime | None
    offered_until: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
