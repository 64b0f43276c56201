"""Response shapes of a member's engagement."""

from datetime import datetime

from pydantic import BaseModel


class BreakdownLinePublic(BaseModel):
    type: str
    count: int
    points: float
    capped: int
    cooled_down: int


class DecayPublic(BaseModel):
    half_life_days: float
    as_of: datetime
    factor_since_last_activity: float | None
    score_at_last_activity: float | None


class EngagementPublic(BaseModel):
    community_id: str
    member_id: str
    display_name: str | None
    score: float
    points: float
    level: int
    badges: list[str]
    segment: str
    kol: bool
    kol_points: int
    rank: int | None
    activity_count: int
    all_time_points: float
    last_active_at: datetime | None
    breakdown: list[BreakdownLinePublic]
    decay: DecayPublic
