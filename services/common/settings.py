"""Settings every service shares, read from the environment (pydantic-settings).

Each service subclasses `ServiceSettings` with its own env prefix (`MEMBERS_`, `SCORING_`, …) for
what is its own, such as its database. What the whole system shares (the Kafka cluster, the
environment name, the secret the gateway signs identities with) is read without a prefix, so one
variable points every process at it.
"""

from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.logs import LogFormat
from services.common.tracing import Exporter

VAR_DIR = Path("var")

Environment = Literal["development", "test", "production"]

# Known to everyone who reads this file: good for a laptop, refused in production.
DEVELOPMENT_INTERNAL_SECRET = "huoli-internal-development-secret-not-for-production"  # noqa: S105
MIN_SECRET_BYTES = 32
# Values copied from templates and tutorials; a production secret equal to one of them is a leak.
PLACEHOLDER_SECRETS = frozenset(
    {
        "changethis",
        "changeme",
        "change-me",
        "secret",
        "jwt-secret",
        "jwt_secret",
        "password",
        "your-secret-key",
        "your-256-bit-secret",
        "supersecret",
        DEVELOPMENT_INTERNAL_SECRET,
    }
)


def shared(name: str) -> AliasChoices:
    """Read a setting from the unprefixed, system-wide variable `name`."""
    return AliasChoices(name, name.lower())


def checked_secret(
    value: str, *, name: str, environment: Environment, development_default: str
) -> str:
    """The secret to use: in production it must be set, long and no placeholder; elsewhere an
    unset one falls back to the fixed development value."""
    if environment != "production":
        return value or development_default
    if not value:
        raise ValueError(f"{name} must be set in production")
    if value.strip().lower() in PLACEHOLDER_SECRETS | {development_default}:
        raise ValueError(f"{name} is a placeholder value; generate a random secret")
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} bytes in production")
    return value


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "service"
    environment: Environment = Field(default="development", validation_alias=shared("HUOLI_ENV"))
    log_level: str = Field(default="INFO", validation_alias=shared("LOG_LEVEL"))
    # "json": one JSON object per line with the request and trace ids, for a log collector;
    # "text" (the default) reads better in a terminal.
    log_format: LogFormat = Field(default="text", validation_alias=shared("LOG_FORMAT"))
    # Where spans go: nowhere (the default; the trace context is still passed on), the
    # process's stdout, or an OTLP/HTTP collector named by the standard OTEL_EXPORTER_OTLP_*
    # variables.
    otel_exporter: Exporter = Field(default="none", validation_alias=shared("OTEL_EXPORTER"))
    # Shared with the gateway only: proves that the X-Actor-* headers were set by it.
    internal_secret: str = Field(default="", validation_alias=shared("HUOLI_INTERNAL_SECRET"))
    database_url: str = ""
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias=shared("KAFKA_BOOTSTRAP_SERVERS")
    )
    kafka_topic_partitions: int = Field(
        default=6, ge=1, validation_alias=shared("KAFKA_TOPIC_PARTITIONS")
    )
    kafka_replication_factor: int = Field(
        default=1, ge=1, validation_alias=shared("KAFKA_REPLICATION_FACTOR")
    )
    # Apache Kafka supports idempotent producers; the embedded Tansu broker does not.
    kafka_enable_idempotence: bool = Field(
        default=False, validation_alias=shared("KAFKA_ENABLE_IDEMPOTENCE")
    )
    # Apache Kafka refuses less than 6 s by default; the embedded broker joins faster with 3 s.
    kafka_session_timeout_ms: int = Field(
        default=10_000, ge=1_000, validation_alias=shared("KAFKA_SESSION_TIMEOUT_MS")
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, validation_alias=shared("MAX_BODY_BYTES")
    )
    outbox_poll_seconds: float = 0.5
    # How far back the relay publishes again when the broker lost acknowledged messages.
    outbox_replay_window_seconds: float = Field(default=3600, gt=0)
    # Published outbox rows are kept at least as long as the relay may publish them again.
    outbox_retention_seconds: float = Field(default=7 * 86400, gt=0)
    # An inbox row must outlive every redelivery of its event: Kafka's default retention is 7 days.
    inbox_retention_seconds: float = Field(default=14 * 86400, gt=0)
    prune_interval_seconds: float = Field(default=3600, gt=0)
    consumer_max_attempts: int = Field(default=5, ge=1)
    run_migrations_on_startup: bool = True
    # At shutdown, how long consumers may take to finish and commit their batch and the relay
    # to publish what the last requests wrote, before they are cancelled.
    shutdown_grace_seconds: float = Field(default=10, ge=0)
    # Off for copies that only serve the API (and for tests that need no consumer).
    run_consumers: bool = True

    @model_validator(mode="after")
    def _outbox_outlives_replay(self) -> Self:
        if self.outbox_retention_seconds < self.outbox_replay_window_seconds:
            raise ValueError(
                "outbox_retention_seconds must be at least outbox_replay_window_seconds: the "
                "relay republishes rows from that window after a broker lost its log"
            )
        return self

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Self:
        self.internal_secret = checked_secret(
            self.internal_secret,
            name="HUOLI_INTERNAL_SECRET",
            environment=self.environment,
            development_default=DEVELOPMENT_INTERNAL_SECRET,
        )
        return self

    def resolved_database_url(self) -> str:
        """The configured database, or a SQLite file under var/ named after the service."""
        if self.database_url:
            return self.database_url
        VAR_DIR.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{VAR_DIR / self.service_name}.db"
