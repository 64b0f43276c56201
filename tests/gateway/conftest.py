"""Fixtures: the four fake upstreams, served once per session, and gateways in front of them."""

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from tests.gateway.fakes import SERVICES, fake_upstream, gateway_settings, serving
from tests.support import running_service


@pytest.fixture(scope="session")
def fakes() -> dict[str, FastAPI]:
    return {name: fake_upstream(name) for name in SERVICES}


@pytest.fixture(scope="session")
async def upstream_urls(fakes: dict[str, FastAPI]) -> AsyncIterator[dict[str, str]]:
    async with contextlib.AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(serving(app)) for name, app in fakes.items()}
        yield urls


GatewayFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def start_gateway(upstream_urls: dict[str, str]) -> GatewayFactory:
    """Start a gateway in front of the fakes; keyword arguments override its settings, and
    `urls` replaces some upstream URLs (to point one at a dead port, say)."""

    def start(urls: dict[str, str] | None = None, **overrides: Any) -> Any:
        settings = gateway_settings({**upstream_urls, **(urls or {})}, **overrides)
        return running_service(create_app(settings))

    return start


@pytest.fixture(params=["aiohttp", "httpx"])
async def gateway(
    request: pytest.FixtureRequest, start_gateway: GatewayFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway in front of all four fakes, once with each HTTP transport."""
    async with start_gateway(http_transport=request.param) as client:
        yield client
