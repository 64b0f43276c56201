"""Request and response shapes of a community's scoring rules."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.events.catalogue.vocabulary import ActivityType
from services.scoring.scoring_rules import rules

Weight = Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]


Cooldown = Annotated[int, Field(ge=0, le=7 * 86400)]


DailyCap = Annotated[int, Field(ge=0, le=1_000_000)]


class RulesUpdate(BaseModel):
    """A community's rules, whole: types left out take the defaults."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[ActivityType, Weight] = {}
    cooldown_seconds: dict[ActivityType, Cooldown] = {}
    daily_cap: dict[ActivityType, DailyCap] = {}
    half_life_days: Annotated[float, Field(ge=0.5, le=3650, allow_inf_nan=False)] = (
        rules.DEFAULT_HALF_LIFE_DAYS
    )


class RulesPublic(BaseModel):
    """The rules in force, every default spelled out."""

    weights: dict[str, float]
    cooldown_seconds: dict[str, int]
    daily_cap: dict[str, int]
    half_life_days: float
