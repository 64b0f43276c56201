"""The component registry agrees with what reads it: settings, the gateway, devstack."""

import pytest

from devstack.stack import Stack
from gateway.settings import GatewaySettings
from services.common.components import GATEWAY, SERVICES, Component, upstream_url_variable


def test_names_and_ports_are_unique() -> None:
    components = [*SERVICES, GATEWAY]
    assert len({c.name for c in components}) == len(components)
    assert len({c.default_port for c in components}) == len(components)
    assert len({c.env_prefix for c in components}) == len(components)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_a_service_reads_its_settings_under_its_prefix(
    service: Component, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{service.env_prefix}DATABASE_URL", "sqlite+aiosqlite:///x.db")
    settings = service.load_settings_class()()
    assert settings.service_name == service.name
    assert settings.database_url == "sqlite+aiosqlite:///x.db"
    assert service.alembic_ini.is_file()
    assert callable(service.load_app_factory())


def test_the_gateway_reads_each_upstream_url_from_the_variable_devstack_sets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack = Stack(env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    environment = stack.environment()
    for service in SERVICES:
        variable = upstream_url_variable(service)
        monkeypatch.setenv(variable, environment[variable])
    urls = GatewaySettings(environment="test").upstream_urls()
    assert urls == {service.name: stack.url(service.name) for service in SERVICES}
