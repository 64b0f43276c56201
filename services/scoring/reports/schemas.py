"""Response shapes of reports, content ranking and events compared."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RankedContent(BaseModel):
    rank: int
    content_id: str
    title: str | None = Field(description="null when content.published never named it.")
    kind: str | None
    engagement: float
    counts: dict[str, int] = Field(description="Activities naming the item, by type.")


class ContentKind(BaseModel):
    kind: str
    items: int
    engagement: float
    engagement_per_item: float


class ContentRankingPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_day: date = Field(alias="from")
    to_day: date = Field(alias="to")
    timezone: str
    items: list[RankedContent]
    kinds: list[ContentKind]
    tags: list[dict[str, Any]]
    tags_note: str


class ComparedEvent(BaseModel):
    event_id: str
    title: str
    kind: str
    starts_at: datetime | None
    status: str
    registered: int
    attended: int
    attendance_rate: float | None
    no_shows: int | None = Field(description="registered - attended, once completed.")
    no_show_rate: float | None
    ratings: int
    average_rating: float | None
    nps: float | None = Field(description="null: scoring has no NPS series (see nps_note).")


class EventComparisonPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_day: date = Field(alias="from")
    to_day: date = Field(alias="to")
    timezone: str
    items: list[ComparedEvent]
    nps_note: str


class ReportKpi(BaseModel):
    name: str
    value: float | None
    previous: float | None
    change: float | None
    formula: str


class ReportPublic(BaseModel):
    """A weekly or monthly report; `formulas` says how every figure is computed and `gaps`
    what scoring cannot see."""

    model_config = ConfigDict(extra="allow")

    community_id: str
    period: str
    kind: str
    starts_on: date
    ends_on: date
    previous_period: str
    timezone: str
    built_at: datetime
    kpis: list[ReportKpi]
    goals: list[dict[str, Any]]
    daily: list[dict[str, Any]]
    top_content: list[dict[str, Any]]
    content_kinds: list[dict[str, Any]]
    events: list[dict[str, Any]]
    leaderboard: list[dict[str, Any]]
    segments: dict[str, Any]
    tier_moves: dict[str, Any]
    alerts: list[dict[str, Any]]
    moderation: dict[str, int]
    incidents: dict[str, Any] | None
    gaps: dict[str, str]
    formulas: dict[str, str]


class ReportSummary(BaseModel):
    community_id: str
    period: str
    kind: str
    starts_on: date
    ends_on: date
    built_at: datetime
