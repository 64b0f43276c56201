from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class MembersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEMBERS_", extra="ignore", populate_by_name=True)

    service_name: str = "members"
