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


class RatingThresholdBody(BaseModel):
    """When an event's ratings raise `rating_drop`."""

    model_config = ConfigDict(extra="forbid")

    min_ratings: Annotated[
        int, Field(ge=1, le=10_000, description="ratings an event needs before it is compared")
    ] = 5
    previous_events: Annotated[
        int, Field(ge=1, le=100, description="how many earlier events make the usual level")
    ] = 5
    drop: Annotated[
        float, Field(ge=0.1, le=4.0, description="stars below the usual level that raise it")
    ] = 0.5


class WarningThresholdsBody(BaseModel):
    """The community's thresholds per signal (join, leave, report, sanction), and for a
    falling event rating (`rating`); what is left out keeps the default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "thresholds": {"join": {"at_least": 30, "times": 4.0}},
                    "rating": {"min_ratings": 3, "previous_events": 5, "drop": 0.8},
                }
            ]
        },
    )

    thresholds: dict[Signal, ThresholdBody] = {}
    rating: RatingThresholdBody | None = None


class WarningThresholdsPublic(BaseModel):
    # Every signal's threshold in force, defaults filled in.
    thresholds: dict[Signal, ThresholdBody]
    rating: RatingThresholdBody
