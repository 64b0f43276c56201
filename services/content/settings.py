from pydantic_settings import SettingsConfigDict

from services.common.components import CONTENT
from services.common.settings import ServiceSettings


class ContentSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix=CONTENT.env_prefix, extra="ignore", populate_by_name=True
    )

    service_name: str = CONTENT.name
