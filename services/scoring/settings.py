from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore", populate_by_name=True)

    service_name: str = "scoring"
    # Off for replicas that only serve the API, so the ledger consumer can be scaled (and its
    # consumer group rebalanced) apart from them; ingestion still writes through the outbox.
    run_consumers: bool = True
