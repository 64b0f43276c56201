"""Events the scoring service publishes: the activities it ingested, on their own topic."""

from datetime import datetime
from typing import Any

from services.common.events.catalogue.base import DomainEvent, register


@register
class ActivityRecorded(DomainEvent):
    type = "activity.recorded"
    source = "activities"
    subject_field = "member_id"

    activity_id: str
    community_id: str
    member_id: str
    activity_type: str
    occurred_at: datetime
    target_member_id: str | None = None
    content_id: str | None = None
    attrs: dict[str, Any] = {}
