"""Response shapes of the member lists."""

from datetime import datetime

from pydantic import BaseModel, Field


class ListedMemberPublic(BaseModel):
    member_id: str
    display_name: str | None
    segment: str
    score: float = Field(description="the engagement score (活跃度), decayed to now")
    points: float = Field(description="lifetime points")
    last_active_at: datetime | None
    kol_points: int | None = Field(default=None, description="influence (KOLs only)")
