"""Request and response shapes of scheduling and the publishing rules."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import Timestamp
from services.content.items.schemas import Body, Tags, TierIds, Title
from services.content.scheduling.rules import parse_clock


class ContentSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Absent: the next free slot under the community's publishing rules.
    publish_at: Timestamp | None = None


def _clock(text: str) -> str:
    parse_clock(text)
    return text


Clock = Annotated[str, StringConstraints(min_length=5, max_length=5), AfterValidator(_clock)]


def _sorted_distinct_clocks(slots: list[str]) -> list[str]:
    if len(set(slots)) != len(slots):
        raise ValueError("slots must be distinct")
    return sorted(slots)


class PublishingRulesPut(BaseModel):
    """The whole of a community's publishing rules (PUT replaces them)."""

    model_config = ConfigDict(extra="forbid")

    slots: Annotated[
        list[Clock], Field(min_length=1, max_length=24), AfterValidator(_sorted_distinct_clocks)
    ] = ["08:00", "12:30", "21:00"]
    max_per_day: Annotated[int, Field(ge=1, le=1000)] = 3
    min_gap_minutes: Annotated[int, Field(ge=0, le=1440)] = 120
    # [start, end] in the community's timezone, or null for none.
    quiet_hours: Annotated[list[Clock], Field(min_length=2, max_length=2)] | None = [
        "23:00",
        "07:00",
    ]


class PublishingRulesPublic(PublishingRulesPut):
    community_id: str
    timezone: str


class UrgentAnnouncement(BaseModel):
    """An urgent announcement (紧急通知): published at once as an official announcement."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body
    tags: Tags = []
    tier_ids: TierIds = []
