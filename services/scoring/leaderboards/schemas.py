"""Response shapes of the leaderboards."""

from pydantic import BaseModel

from services.scoring.periods.rules import Period


class StandingPublic(BaseModel):
    rank: int
    member_id: str
    display_name: str | None
    score: float


class LeaderboardPublic(BaseModel):
    period: Period
    period_start: str | None
    timezone: str
    tier_id: str | None
    items: list[StandingPublic]
    own: StandingPublic | None
