"""What every service answers the same way, checked on every /v1 route each one serves."""

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.proxy.routing import PUBLIC_PATHS
from services.common.components import SERVICES, Component
from tests.support import actor, assert_problem, running_service, service_app

WRITE_METHODS = {"post", "put", "patch"}
BODIED: dict[str, set[tuple[str, str]]] = {}


@pytest.fixture(scope="module", params=SERVICES, ids=lambda service: service.name)
async def served(
    request: pytest.FixtureRequest, broker: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, list[tuple[str, str]]]]:
    """One service on SQLite (these checks do not depend on the backend) and its operations."""
    service: Component = request.param
    database = tmp_path_factory.mktemp(service.name) / "service.db"
    app = service_app(
        service,
        database_url=f"sqlite+aiosqlite:///{database}",
        broker=broker,
        run_consumers=False,
    )
    # A public path's token is its credential (the secret calendar address): not checked here.
    operations = [
        (method, re.sub(r"\{[^/]+\}", "x1", path))
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/v1/") and path not in PUBLIC_PATHS
        for method in item
    ]
    # Writes that read a body (a PUT that awards a badge by its path alone reads none).
    BODIED[service.name] = {
        (method, re.sub(r"\{[^/]+\}", "x1", path))
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    }
    async with running_service(app) as client:
        yield client, operations


async def test_every_operation_refuses_an_anonymous_caller(
    served: tuple[httpx.AsyncClient, list[tuple[str, str]]],
) -> None:
    client, operations = served
    for method, path in operations:
        body: Any = {} if method in WRITE_METHODS else None
        response = await client.request(method, path, json=body)
        assert_problem(response, 401)
        assert response.headers["x-request-id"]


async def test_every_write_answers_malformed_json_with_its_problem_type(
    served: tuple[httpx.AsyncClient, list[tuple[str, str]]],
) -> None:
    client, operations = served
    bodied = set().union(*BODIED.values())
    writes = [
        (method, path)
        for method, path in operations
        if method in WRITE_METHODS and (method, path) in bodied
    ]
    assert writes
    for method, path in writes:
        response = await client.request(
            method,
            path,
            content=b'{"name": ',
            headers={**actor(), "content-type": "application/json"},
        )
        assert assert_problem(response, 400)["type"].endswith("/malformed-json"), path


async def test_unknown_paths_and_oversized_bodies_are_problems(
    served: tuple[httpx.AsyncClient, list[tuple[str, str]]],
) -> None:
    client, operations = served
    assert_problem(await client.get("/v1/no-such-thing", headers=actor()), 404)
    method, path = next((m, p) for m, p in operations if m in WRITE_METHODS)
    oversized = await client.request(
        method,
        path,
        content=b"[" + b"0," * 600_000 + b"0]",
        headers={**actor(), "content-type": "application/json"},
    )
    assert_problem(oversized, 413)
    echoed = await client.get("/healthz", headers={"X-Request-ID": "contract-1"})
    assert echoed.headers["x-request-id"] == "contract-1"
