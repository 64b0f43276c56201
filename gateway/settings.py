"""Gateway settings, read from the environment (prefix `GATEWAY_`).

The gateway keeps a database of its own (API keys, idempotency records, webhooks, the membership
projection it authorizes key management with) and consumes the broker, so it subclasses the
services' `ServiceSettings`: `GATEWAY_DATABASE_URL`, the shared Kafka and system-wide variables
read the same way. `JWT_SECRET` is unprefixed because whoever issues tokens shares it;
`REDIS_URL` too, since every replica must share the one Redis.
"""

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.components import CONTENT, EVENTS, GATEWAY, MEMBERS, SCORING, SERVICES
from services.common.settings import (
    DEVELOPMENT_INTERNAL_SECRET,
    Environment,
    ServiceSettings,
    checked_secret,
    shared,
)

DEVELOPMENT_JWT_SECRET = "huoli-development-secret-not-for-production"  # noqa: S105

Transport = Literal["aiohttp", "httpx"]


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix=GATEWAY.env_prefix, extra="ignore", populate_by_name=True
    )

    service_name: str = GATEWAY.name
    environment: Environment = Field(default="development", validation_alias=shared("HUOLI_ENV"))
    log_level: str = Field(default="INFO", validation_alias=shared("LOG_LEVEL"))

    # One field per service in services.common.components (GATEWAY_MEMBERS_URL, …).
    members_url: str = MEMBERS.default_url
    content_url: str = CONTENT.default_url
    events_url: str = EVENTS.default_url
    scoring_url: str = SCORING.default_url

    jwt_secret: str = Field(default="", validation_alias=shared("JWT_SECRET"))
    jwt_audience: str | None = None
    # Production: RS256 tokens verified with the keys published at this URL (beside HS256).
    jwt_jwks_url: str | None = None
    jwt_jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    # A token naming an unknown key id fetches the keys again, at most this often.
    jwt_jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    # When set, tokens must name this issuer (`iss`).
    jwt_issuer: str | None = None
    jwt_leeway_seconds: float = Field(default=30.0, ge=0)
    # Shared with the services only: the gateway signs the identity it forwards with it.
    internal_secret: str = Field(default="", validation_alias=shared("HUOLI_INTERNAL_SECRET"))

    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    read_timeout_seconds: float = Field(default=10.0, gt=0)
    # Waiting for a free pooled connection is its own budget: under a burst the pool, not the
    # upstream, is what is slow, and a 2 s connect budget would turn queueing into 504s.
    pool_timeout_seconds: float = Field(default=5.0, gt=0)
    max_connections: int = Field(default=200, ge=1)
    max_keepalive_connections: int = Field(default=100, ge=0)
    # aiohttp's pool holds up under high concurrency where httpx's own slows down (httpx#3215);
    # "httpx" stays selectable so the benchmark can keep measuring the difference.
    http_transport: Transport = "aiohttp"

    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, validation_alias=shared("MAX_BODY_BYTES")
    )

    # API keys: how long a verified key is believed without asking the database again, so a
    # revocation reaches every replica within this time.
    api_key_cache_seconds: float = Field(default=5.0, ge=0)
    # Idempotency-Key: how long the first answer to a POST is kept and replayed.
    idempotency_ttl_seconds: float = Field(default=86_400, gt=0)
    # Rate limits per principal (a user, an API key): a token bucket refilled at this rate, up
    # to the burst. Shared through Redis when REDIS_URL is set, per process otherwise.
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    redis_url: str = Field(default="", validation_alias=shared("REDIS_URL"))
    # Development and tests only: webhooks may point at private and loopback addresses.
    webhook_allow_private_urls: bool = Field(
        default=False, validation_alias=shared("WEBHOOK_ALLOW_PRIVATE_URLS")
    )
    # The delay before each delivery attempt (the first immediate); then a delivery has failed.
    webhook_retry_schedule_seconds: tuple[float, ...] = Field(
        default=(0, 5, 300, 1800, 7200, 18000, 36000, 36000), min_length=1
    )
    # Finished deliveries (and their attempts) stay in the delivery log this long.
    webhook_log_retention_seconds: float = Field(default=30 * 86400, gt=0)
    # An endpoint's answer must start within this long, or the attempt failed.
    webhook_timeout_seconds: float = Field(default=15.0, gt=0)
    # Origins browsers may call the API from (CORS), e.g. ["https://console.example.com"].
    cors_origins: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Self:
        # Named as ServiceSettings' check, which this replaces: JWT_SECRET is checked first.
        self.jwt_secret = checked_secret(
            self.jwt_secret,
            name="JWT_SECRET",
            environment=self.environment,
            development_default=DEVELOPMENT_JWT_SECRET,
        )
        self.internal_secret = checked_secret(
            self.internal_secret,
            name="HUOLI_INTERNAL_SECRET",
            environment=self.environment,
            development_default=DEVELOPMENT_INTERNAL_SECRET,
        )
        if self.environment == "production" and self.internal_secret == self.jwt_secret:
            # Whoever can issue tokens must not thereby be able to speak to the services directly.
            raise ValueError("HUOLI_INTERNAL_SECRET must differ from JWT_SECRET")
        return self

    @property
    def uses_development_secret(self) -> bool:
        return self.jwt_secret == DEVELOPMENT_JWT_SECRET

    def upstream_urls(self) -> dict[str, str]:
        """Base URL of each upstream service, by name."""
        return {
            service.name: str(getattr(self, f"{service.name}_url")).rstrip("/")
            for service in SERVICES
        }
