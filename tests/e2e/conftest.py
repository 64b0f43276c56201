"""The whole system as real processes: embedded broker, four services, gateway."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.stack import SERVICES, Stack
from gateway.identity.tokens import issue_token
from services.common.components import GATEWAY
from tests.conftest import create_postgres_database, drop_postgres_database, postgres_host_url

JWT_SECRET = "e2e-test-secret-of-at-least-thirty-two-bytes"
INTERNAL_SECRET = "e2e-internal-secret-shared-by-gateway-and-services"
# Each has a database of its own: the services and the gateway (API keys, webhooks).
COMPONENTS = (*SERVICES, GATEWAY)
# What every e2e stack runs with.
TEST_ENV = {
    "JWT_SECRET": JWT_SECRET,
    "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
    "HUOLI_ENV": "test",
    "KAFKA_BOOTSTRAP_SERVERS": "",  # the tests stop and restart the embedded broker
    "LOG_LEVEL": "INFO",
    # The tests call as a handful of users, far faster than any person would.
    "GATEWAY_RATE_LIMIT_PER_SECOND": "100000",
    "GATEWAY_RATE_LIMIT_BURST": "100000",
}


@dataclass
class System:
    stack: Stack
    gateway: httpx.AsyncClient
    database_urls: dict[str, str]
    failpoints: Path

    def auth(self, user_id: str, roles: tuple[str, ...] = ()) -> dict[str, str]:
        token = issue_token(user_id, secret=JWT_SECRET, roles=roles)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def system(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_available: bool,
) -> AsyncIterator[System]:
    workdir = tmp_path_factory.mktemp(f"system-{request.param}")
    failpoints = workdir / "failpoints"
    failpoints.mkdir()
    created: list[str] = []
    if request.param == "postgresql":
        if not postgres_available:
            pytest.skip("PostgreSQL is not reachable on this machine (CI always has it)")
        created = [await create_postgres_database() for _ in COMPONENTS]
        database_urls = {
            component.name: f"{postgres_host_url()}/{name}"
            for component, name in zip(COMPONENTS, created, strict=True)
        }
    else:
        database_urls = {
            component.name: f"sqlite+aiosqlite:///{workdir / component.name}.db"
            for component in COMPONENTS
        }
    stack = Stack(
        env={
            **TEST_ENV,
            "HUOLI_FAILPOINT_DIR": str(failpoints),
            "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        },
        database_urls=database_urls,
        log_dir=workdir / "logs",
    )
    try:
        await asyncio.to_thread(stack.start_all)
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as gateway:
            yield System(
                stack=stack, gateway=gateway, database_urls=database_urls, failpoints=failpoints
            )
    finally:
        await asyncio.to_thread(stack.stop_all)
        for name in created:
            await drop_postgres_database(name)
