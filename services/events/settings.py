from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.components import EVENTS
from services.common.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix=EVENTS.env_prefix, extra="ignore", populate_by_name=True
    )

    service_name: str = EVENTS.name
    # How often the scheduler looks for events that ended and seat offers that ran out.
    scheduler_poll_seconds: float = Field(default=5.0, gt=0)
