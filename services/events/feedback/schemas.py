"""Request and response shapes of attendees' feedback."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from services.common.fields import NoNul, ResourceId


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: ResourceId
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
    comment: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None


class FeedbackPublic(BaseModel):
    event_id: str
    member_id: str
    rating: int
    comment: str | None
    submitted_at: datetime


class FeedbackRead(BaseModel):
    """Feedback as organisers read it; `member_id` is null once the member was erased (the
    comment goes with them, the rating stays)."""

    member_id: str | None
    rating: int
    comment: str | None
    submitted_at: datetime


class FeedbackList(BaseModel):
    event_id: str
    items: list[FeedbackRead]
