"""Events the scoring service publishes: the activities it ingested, on their own topic."""

from datetime import datetime

from services.common.events.catalogue.base import DomainEvent, register
from services.common.fields import JsonObject


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
    # The API's own type: an activity the API accepted is one the ledger can take.
    attrs: JsonObject = {}
