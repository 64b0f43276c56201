from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.components import CONTENT
from services.common.settings import ServiceSettings


class ContentSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix=CONTENT.env_prefix, extra="ignore", populate_by_name=True
    )

    service_name: str = CONTENT.name
    # The publisher looks for due items this often; the lag from an item's time to
    # content.published is about this plus the outbox relay's pass.
    run_publisher: bool = True
    publisher_poll_seconds: float = Field(default=0.1, gt=0)
    publisher_batch: int = Field(default=200, ge=1)
    # An item published more than this after its time (the service was down) is marked late.
    publisher_late_after_seconds: float = Field(default=60, ge=0)
    # Series occurrences exist as scheduled items this far ahead.
    run_series_worker: bool = True
    series_window_days: int = Field(default=14, ge=1, le=90)
    series_poll_seconds: float = Field(default=300, gt=0)
