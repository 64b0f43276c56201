"""The system's components, named once: each one's app, settings, port and environment prefix.

devstack starts them from here, the gateway takes its upstreams' names and default URLs from here,
and the services take their env prefixes from here; adding a service starts with one line below.
"""

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICES_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Component:
    name: str
    # "module:attribute" references, resolved only when asked for, so that reading the registry
    # imports no service (the gateway must not pull the services' code into its process).
    app: str
    settings: str
    default_port: int
    env_prefix: str
    # The package directory holding its alembic.ini; services/<name> unless said otherwise.
    home: Path | None = None

    @property
    def default_url(self) -> str:
        return f"http://127.0.0.1:{self.default_port}"

    @property
    def alembic_ini(self) -> Path:
        return (self.home or SERVICES_DIR / self.name) / "alembic.ini"

    def load_app_factory(self) -> Any:
        return _load(self.app)

    def load_settings_class(self) -> Any:
        return _load(self.settings)


def _service(name: str, settings_class: str, default_port: int) -> Component:
    return Component(
        name=name,
        app=f"services.{name}.app:create_app",
        settings=f"services.{name}.settings:{settings_class}",
        default_port=default_port,
        env_prefix=f"{name.upper()}_",
    )


MEMBERS = _service("members", "MembersSettings", 8001)
CONTENT = _service("content", "ContentSettings", 8002)
EVENTS = _service("events", "EventsSettings", 8003)
SCORING = _service("scoring", "ScoringSettings", 8004)
SERVICES: tuple[Component, ...] = (MEMBERS, CONTENT, EVENTS, SCORING)

GATEWAY = Component(
    name="gateway",
    app="gateway.app:create_app",
    settings="gateway.settings:GatewaySettings",
    default_port=8000,
    env_prefix="GATEWAY_",
    # Its own database (API keys, idempotency records, webhooks) migrates like a service's.
    home=SERVICES_DIR.parent / "gateway",
)


def upstream_url_variable(service: Component) -> str:
    """The gateway's environment variable holding this service's base URL."""
    return f"{GATEWAY.env_prefix}{service.name.upper()}_URL"


def _load(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)
