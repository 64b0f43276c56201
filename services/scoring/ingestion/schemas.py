"""Request and response shapes of POST /activities."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.common.fields import JsonObject, NoNul, ResourceId, Timestamp
from services.scoring.ingestion.rules import INGESTIBLE_TYPES, RejectionReason

ActivityId = Annotated[str, StringConstraints(min_length=1, max_length=128), NoNul]


# Any short text: a type scoring does not know is refused item by item, not the whole batch.
ActivityTypeName = Annotated[str, StringConstraints(min_length=1, max_length=40), NoNul]


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ActivityId
    community_id: ResourceId
    member_id: ResourceId
    type: ActivityTypeName = Field(
        description=f"One of: {', '.join(sorted(INGESTIBLE_TYPES))}; others are rejected "
        "item by item (`unknown_type`)."
    )
    # More than 5 minutes ahead of the server's clock is rejected item by item (`in_future`).
    occurred_at: Timestamp
    target_member_id: ResourceId | None = None
    content_id: ResourceId | None = None
    attrs: JsonObject | None = None


MAX_BATCH = 1000

ActivityList = Annotated[list[ActivityCreate], Field(min_length=1, max_length=MAX_BATCH)]


class ActivityBatch(BaseModel):
    """The batch in the shape every list is answered in. A bare array, the shape partners sent
    before, is still read, as the `items` of a batch (so errors point into `items` either way)."""

    model_config = ConfigDict(extra="forbid")

    items: ActivityList

    @model_validator(mode="before")
    @classmethod
    def _bare_array(cls, value: object) -> object:
        return {"items": value} if isinstance(value, list) else value


class ActivityRejected(BaseModel):
    index: int
    id: str
    reason: RejectionReason


class ActivitiesAccepted(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[ActivityRejected] = []
    pending: list[ActivityRejected] = Field(
        default=[],
        description="held until scoring knows the community and member (a moment after a "
        "community is created or someone joins), then recorded; `reason` says what it waits "
        "for, and is the reason of `activity.refused` if the hold runs out",
    )
