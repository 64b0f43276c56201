"""Events the scoring service publishes, and the activities it ingested (on their own topic)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

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


class RankedMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: str
    rank: int
    score: float


@register
class LeaderboardPeriodClosed(DomainEvent):
    """A leaderboard period ended in the community's timezone. `entries` holds the top of the
    ranking (at most `PERIOD_CLOSE_TOP` rows; a Kafka message has a size limit), `members_ranked`
    how many members the whole ranking had."""

    type = "leaderboard.period_closed"
    source = "scoring"
    subject_field = "community_id"

    community_id: str
    period: str
    starts_at: datetime
    ends_at: datetime
    members_ranked: int
    entries: list[RankedMember]


PERIOD_CLOSE_TOP = 1000
