"""Request and response shapes of check-ins at an event."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.common.fields import NoNul, ResourceId

CheckinCode = Annotated[str, StringConstraints(min_length=1, max_length=32), NoNul]


class CheckinCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: ResourceId
    code: CheckinCode


class CheckinPublic(BaseModel):
    event_id: str
    registration_id: str
    member_id: str
    checked_in_at: datetime


class CheckinCodePublic(BaseModel):
    """The code an organiser hands out at the venue (never in an event's public shape)."""

    event_id: str
    checkin_code: str
