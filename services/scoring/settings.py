from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore", populate_by_name=True)

    service_name: str = "scoring"
