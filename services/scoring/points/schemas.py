"""Request and response shapes of awarding and redeeming points."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.common.fields import NoNul
from services.scoring.points import rules

Delta = Annotated[float, Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)]


class PointsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delta: Delta = Field(description="Points to award (> 0) or redeem (< 0); 3 decimals kept.")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200), NoNul]

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if round(value * rules.MILLI) == 0:
            raise ValueError("delta must not be 0")
        return value


class PointsPublic(BaseModel):
    community_id: str
    member_id: str
    points: float
    level: int
