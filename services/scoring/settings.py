from pydantic_settings import SettingsConfigDict

from services.common.components import SCORING
from services.common.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix=SCORING.env_prefix, extra="ignore", populate_by_name=True
    )

    service_name: str = SCORING.name
