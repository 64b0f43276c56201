"""Request and response shapes of goals."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.scoring.goals.rules import GoalMetric, GoalStatus, PeriodKind, parse_period


def _period(value: str) -> str:
    if parse_period(value) is None:
        raise ValueError(
            "period must be a month (2026-12), a quarter (2026-Q4) or a year (2026), "
            "years 1970 to 9000"
        )
    return value


Period = Annotated[str, Field(min_length=4, max_length=7), AfterValidator(_period)]
Target = Annotated[float, Field(ge=-100, le=100_000_000, allow_inf_nan=False)]

_EXAMPLE: dict[str, Any] = {"metric": "weekly_actives", "period": "2026-Q4", "target": 1200}


class GoalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    metric: GoalMetric = Field(
        description="members, weekly_actives, active_rate, week4_retention or nps."
    )
    period: Period = Field(description="A month (2026-12), a quarter (2026-Q4) or a year (2026).")
    target: Target = Field(
        description="The value to reach by the period's end: a count, a fraction (0.4 for "
        "40 %) for active_rate and week4_retention, -100..100 for nps."
    )


class GoalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"target": 1500}]})

    target: Target


class ProgressSample(BaseModel):
    on: date = Field(description="The local midnight the value was taken at (start of `on`).")
    value: float | None


class GoalProgress(BaseModel):
    value: float | None = Field(description="The figure now (or at the period's end).")
    measured_on: date | None = Field(description="The local midnight it was measured at.")
    share_of_target: float | None = Field(description="value / target.")
    forecast: float | None = Field(
        description="The least-squares line through the samples, at the period's end."
    )
    status: GoalStatus
    reason: str | None = Field(default=None, description="Why there is no value, if none.")
    samples: list[ProgressSample]


class GoalPublic(BaseModel):
    id: str
    community_id: str
    metric: GoalMetric
    period: str
    period_kind: PeriodKind
    starts_on: date
    ends_on: date
    target: float
    created_by: str
    created_at: datetime
    updated_at: datetime
    progress: GoalProgress
