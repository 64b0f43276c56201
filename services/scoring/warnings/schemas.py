"""Request and response shapes of a community's early-warning thresholds."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.scoring.warnings.rules import Signal


class ThresholdBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at_least: Annotated[int, Field(ge=1, le=100_000, description="the hour's count at least")]
    times: Annotated[
        float, Field(ge=1.0, le=1000.0, description="and this many times the usual hour")
    ] = 5.0


class WarningThresholdsBody(BaseModel):
    """The community's thresholds per signal (join, leave, report, sanction); a signal left
    out keeps the default."""

    model_config = ConfigDict(extra="forbid")

    thresholds: dict[Signal, ThresholdBody] = {}


class WarningThresholdsPublic(BaseModel):
    # Every signal's threshold in force, defaults filled in.
    thresholds: dict[Signal, ThresholdBody]
