from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTS_", extra="ignore", populate_by_name=True)

    service_name: str = "events"
