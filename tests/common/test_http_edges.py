"""What every service answers at the edges of HTTP: unexpected errors, clients that leave, bodies
that are not readable JSON, and bodies that are not JSON at all.

The scoring service stands in for all four (they share `create_service_app`), served by uvicorn
on a loopback port, since what happens to a connection is uvicorn's doing as much as ours.
"""

import asyncio
import importlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.logs import current_request_id
from services.scoring.app import create_app
from services.scoring.settings import ScoringSettings
from tests.gateway.fakes import serving
from tests.support import actor, assert_problem

ACTIVITIES = "/v1/activities"
JSON = {"content-type": "application/json"}


class _Recorder(logging.Handler):
    """Log records with the request id current when each was logged."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[tuple[str, logging.LogRecord]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((current_request_id(), record))

    def at_least(self, level: int) -> list[tuple[str, logging.LogRecord]]:
        return [(rid, record) for rid, record in self.records if record.levelno >= level]


@pytest.fixture
def logs() -> Iterator[_Recorder]:
    # The service's lifespan reconfigures the root logger: listen on the loggers themselves.
    recorder = _Recorder()
    # Where an unexpected error is reported: ours, and uvicorn's when one escapes the app.
    watched = [
        logging.getLogger(name) for name in ("services.common.api.middleware", "uvicorn.error")
    ]
    for logger in watched:
        logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        for logger in watched:
            logger.removeHandler(recorder)


async def _explode() -> None:
    raise RuntimeError("an unexpected failure (expected in this test)")


@pytest.fixture
async def service(tmp_path: Path, broker: str) -> AsyncIterator[str]:
    """The scoring service with one extra route that fails unexpectedly, served over HTTP."""
    settings = ScoringSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}",
        kafka_bootstrap_servers=broker,
        environment="test",
        run_consumers=False,
    )
    app: FastAPI = create_app(settings)
    app.add_api_route("/v1/explode", _explode, methods=["GET"])
    async with app.router.lifespan_context(app), serving(app) as url:
        yield url


@pytest.fixture
async def client(service: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=service) as client:
        yield client


async def test_a_500_carries_the_request_id_and_logs_it_once(
    client: httpx.AsyncClient, logs: _Recorder
) -> None:
    response = await client.get("/v1/explode", headers={"X-Request-ID": "trace-500"})
    body = assert_problem(response, 500)
    assert body["type"].endswith("/internal-error")
    assert "RuntimeError" not in response.text
    assert response.headers["x-request-id"] == "trace-500"
    errors = logs.at_least(logging.ERROR)
    # One traceback, with the id the body promises; uvicorn has nothing to add.
    assert [(rid, record.name) for rid, record in errors] == [
        ("trace-500", "services.common.api.middleware")
    ]
    assert errors[0][1].exc_info is not None

    minted = await client.get("/v1/explode")
    assert len(minted.headers["x-request-id"]) == 32


async def _exchange(url: str, *requests: bytes) -> bytes:
    """Send raw requests on one connection and read until the server closes it."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for request in requests:
            writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()


async def test_the_connection_stays_open_after_a_500(service: str) -> None:
    # A 500 is an ordinary answer: the next request on the connection is served too. (Once the
    # connection was dropped after the 500, and the caller's pool sent its next request on it.)
    answers = await _exchange(
        service,
        b"GET /v1/explode HTTP/1.1\r\nhost: test\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n",
    )
    assert answers.startswith(b"HTTP/1.1 500 ")
    assert b"connection: close" not in answers.split(b"\r\n\r\n")[0].lower()
    assert b"HTTP/1.1 200 " in answers


async def test_a_client_leaving_mid_body_is_not_an_error(service: str, logs: _Recorder) -> None:
    host, port = service.removeprefix("http://").split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /v1/activities HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n"
        b'x-actor-id: alice\r\nx-actor-kind: user\r\ncontent-length: 1000\r\n\r\n[{"id": '
    )
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()
    await asyncio.sleep(0.3)
    assert logs.at_least(logging.WARNING) == []


def _nested_list(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# Bodies sent as JSON that cannot be read as JSON: each is a 400 `malformed-json`.
UNREADABLE = {
    "not JSON": b'[{"id": "a1", ',
    "invalid UTF-8": b'[{"id": "\xff\xfe"}]',
    "nested past what the parser reads": _nested_list(100_000),
    "an integer of 5000 digits": b"[" + b"9" * 5000 + b"]",
}


@pytest.mark.parametrize("case", list(UNREADABLE))
async def test_unreadable_json_is_a_400_malformed_json(
    client: httpx.AsyncClient, case: str
) -> None:
    response = await client.post(ACTIVITIES, content=UNREADABLE[case], headers={**actor(), **JSON})
    problem = assert_problem(response, 400)
    assert problem["type"].endswith("/malformed-json"), problem


# A body that is not declared as JSON is a 415 naming the Content-Type, the RFC 9110 status for
# content the resource does not take. (Stripe reads form bodies and says 400 for anything else;
# our API takes JSON only, and 415 tells the caller it is the declaration, not the data, that
# is wrong.) "Input should be a valid list" is what this said before.
CONTENT_TYPES = {
    "no content type": None,
    "text/plain": "text/plain",
    "a form": "application/x-www-form-urlencoded",
    "XML": "application/xml",
}


@pytest.mark.parametrize("case", list(CONTENT_TYPES))
async def test_a_body_not_sent_as_json_is_a_415(client: httpx.AsyncClient, case: str) -> None:
    content_type = CONTENT_TYPES[case]
    headers = actor() if content_type is None else {**actor(), "content-type": content_type}
    body = json.dumps([{"id": "a1"}]).encode()
    response = await client.post(ACTIVITIES, content=body, headers=headers)
    problem = assert_problem(response, 415)
    assert problem["type"].endswith("/unsupported-media-type")
    assert "Content-Type: application/json" in problem["detail"]
    assert (content_type or "no Content-Type") in problem["detail"]


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/merge-patch+json"]
)
async def test_json_content_types_with_parameters_or_suffixes_are_read(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        ACTIVITIES, content=b"[]", headers={**actor(), "content-type": content_type}
    )
    # Read as JSON, then validated: an empty batch is refused for what it is.
    assert_problem(response, 422, field="items")


async def test_a_streamed_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"["
        for _ in range(2048):
            yield b'"' + b"x" * 1024 + b'",'
        yield b"0]"

    # No Content-Length: the limit is found while the route reads the body.
    response = await client.post(ACTIVITIES, content=chunks(), headers={**actor(), **JSON})
    problem = assert_problem(response, 413)
    assert problem["type"].endswith("/payload-too-large")


def _app_of(service: str) -> FastAPI:
    module = importlib.import_module(f"services.{service}.app")
    app: FastAPI = module.create_app()
    return app


# A path each service serves with more than one method, or with just one.
METHODS_BY_PATH = {
    "members": ("/v1/communities", {"GET", "POST"}),
    "content": ("/v1/communities/c1/content", {"GET", "POST"}),
    "events": ("/v1/communities/c1/events", {"GET", "POST"}),
    "scoring": ("/v1/activities", {"POST"}),
}


@pytest.fixture(params=list(METHODS_BY_PATH))
async def bare_service(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """A service's routing alone: neither answer below reaches a dependency, so no lifespan."""
    transport = httpx.ASGITransport(app=_app_of(request.param))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://svc.internal:8001"
    ) as client:
        yield request.param, client


async def test_a_405_allows_every_method_the_path_serves(
    bare_service: tuple[str, httpx.AsyncClient],
) -> None:
    service, client = bare_service
    path, allowed = METHODS_BY_PATH[service]
    response = await client.delete(path, headers=actor())
    assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) == allowed


async def test_a_trailing_slash_is_a_404_not_a_redirect_to_the_service(
    bare_service: tuple[str, httpx.AsyncClient],
) -> None:
    service, client = bare_service
    path, allowed = METHODS_BY_PATH[service]
    method = "GET" if "GET" in allowed else "POST"
    response = await client.request(method, f"{path}/", headers={**actor(), **JSON}, content=b"[]")
    # A 307 here named the service's own address (svc.internal:8001), past the gateway.
    assert_problem(response, 404)
    assert "location" not in response.headers
