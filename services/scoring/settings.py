from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.components import SCORING
from services.common.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix=SCORING.env_prefix, extra="ignore", populate_by_name=True
    )

    service_name: str = SCORING.name
    # How often the clockwork looks for periods that ended (period close is once per period
    # whatever this is; it only bounds the delay after midnight).
    period_close_poll_seconds: float = Field(default=30.0, gt=0)
    # How often every member's segment is re-derived as time passes.
    segment_sweep_seconds: float = Field(default=3600.0, gt=0)
    run_clockwork: bool = True
    # Activities for a community or member scoring does not know yet are held this long (the
    # membership projection normally follows within a second), then refused.
    hold_seconds: float = Field(default=300.0, gt=0, le=3600)
    # How often held activities are looked at again.
    hold_poll_seconds: float = Field(default=0.5, gt=0)
    # How often the scheduler looks for win-back campaigns whose `run_at` has come.
    nudge_poll_seconds: float = Field(default=5.0, gt=0)
    # How often the report builder looks for weeks and months that ended (each report is built
    # once whatever this is; it only bounds the delay after the period's end).
    report_poll_seconds: float = Field(default=20.0, gt=0)
