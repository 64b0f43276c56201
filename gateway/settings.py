"""Gateway settings, read from the environment (prefix `GATEWAY_`).

The gateway has no database or broker, so it does not subclass the services' `ServiceSettings`;
it reads the same system-wide variables (`HUOLI_ENV`, `LOG_LEVEL`, `MAX_BODY_BYTES`) the same way,
plus `JWT_SECRET`, which is unprefixed because whoever issues tokens shares it.
"""

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.components import CONTENT, EVENTS, GATEWAY, MEMBERS, SCORING, SERVICES
from services.common.settings import (
    DEVELOPMENT_INTERNAL_SECRET,
    Environment,
    checked_secret,
    shared,
)

DEVELOPMENT_JWT_SECRET = "huoli-development-secret-not-for-production"  # noqa: S105

Transport = Literal["aiohttp", "httpx"]


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=GATEWAY.env_prefix, extra="ignore", populate_by_name=True
    )

    environment: Environment = Field(default="development", validation_alias=shared("HUOLI_ENV"))
    log_level: str = Field(default="INFO", validation_alias=shared("LOG_LEVEL"))

    # One field per service in services.common.components (GATEWAY_MEMBERS_URL, …).
    members_url: str = MEMBERS.default_url
    content_url: str = CONTENT.default_url
    events_url: str = EVENTS.default_url
    scoring_url: str = SCORING.default_url

    jwt_secret: str = Field(default="", validation_alias=shared("JWT_SECRET"))
    jwt_audience: str | None = None
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

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Self:
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
