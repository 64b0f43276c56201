"""When an upstream is down, slow or broken, callers get a problem, never a stack trace."""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.proxy.routing import upstream_for
from services.common.logs import current_request_id
from tests.gateway.fakes import TRACEBACK, bearer, free_port, gateway_settings, serving
from tests.support import assert_problem, eventually

TRANSPORTS = ["aiohttp", "httpx"]


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((current_request_id(), record.getMessage()))


@pytest.fixture
def proxy_log() -> Iterator[_Recorder]:
    # The gateway's lifespan reconfigures the root logger, so listen on the module's own.
    recorder = _Recorder()
    logger = logging.getLogger("gateway.proxy.upstream")
    logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        logger.removeHandler(recorder)


@pytest.fixture(params=TRANSPORTS)
async def gateway_with_dead_events(
    request: pytest.FixtureRequest, start_gateway: Any
) -> AsyncIterator[httpx.AsyncClient]:
    dead = f"http://127.0.0.1:{free_port()}"
    async with start_gateway(urls={"events": dead}, http_transport=request.param) as client:
        yield client


async def test_an_unreachable_upstream_is_503(gateway_with_dead_events: httpx.AsyncClient) -> None:
    response = await gateway_with_dead_events.post(
        "/v1/events/e1/registrations", json={"member_id": "m1"}, headers=bearer()
    )
    body = assert_problem(response, 503)
    assert body["detail"].startswith("The events service is unavailable")
    assert response.headers["retry-after"] == "2"
    # The others still answer.
    assert (
        await gateway_with_dead_events.get("/v1/communities", headers=bearer())
    ).status_code == 200


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_slow_upstream_is_504(start_gateway: Any, transport: str) -> None:
    async with start_gateway(read_timeout_seconds=0.3, http_transport=transport) as client:
        response = await client.get("/v1/activities?fake=slow&delay=1.5", headers=bearer())
        body = assert_problem(response, 504)
        assert "scoring" in body["detail"]
        fast = await client.get("/v1/activities?fake=slow&delay=0", headers=bearer())
        assert fast.status_code == 200


async def test_a_service_503_is_relayed_with_its_retry_after(gateway: httpx.AsyncClient) -> None:
    # A service whose database is away says so, and when to come back: not a 502.
    said = await gateway.get("/v1/content/k1?fake=unavailable&retry_after=7", headers=bearer())
    body = assert_problem(said, 503)
    assert said.headers["retry-after"] == "7"
    assert body["type"].endswith("/service-unavailable")
    # One that names no time gets the gateway's.
    unsaid = await gateway.get("/v1/content/k1?fake=unavailable", headers=bearer())
    assert_problem(unsaid, 503)
    assert unsaid.headers["retry-after"] == "2"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_request_that_never_got_a_connection_is_503_not_504(
    start_gateway: Any, transport: str
) -> None:
    # One connection per upstream, held by a slow request: the next one waits for it in vain
    # and is never sent, which the caller must be able to tell from a request sent and lost.
    async with start_gateway(
        max_connections=1,
        pool_timeout_seconds=0.3,
        read_timeout_seconds=5,
        http_transport=transport,
    ) as client:
        slow = asyncio.create_task(
            client.get("/v1/activities?fake=slow&delay=1.5", headers=bearer())
        )
        await asyncio.sleep(0.3)
        waiting = await client.post("/v1/activities?fake=echo", json=[], headers=bearer())
        body = assert_problem(waiting, 503)
        assert "not sent" in body["detail"]
        assert waiting.headers["retry-after"] == "2"
        assert (await slow).status_code == 200


async def test_an_upstream_500_is_502_without_its_trace(
    gateway: httpx.AsyncClient, proxy_log: _Recorder
) -> None:
    response = await gateway.get(
        "/v1/content/k1?fake=boom", headers={**bearer(), "X-Request-ID": "trace-me-1"}
    )
    body = assert_problem(response, 502)
    assert "Traceback" not in response.text
    assert "secret_internal_module" not in response.text
    assert "content" in body["detail"]
    assert response.headers["x-request-id"] == "trace-me-1"
    # The trace is kept where an operator can find it by request id.
    assert any(
        request_id == "trace-me-1" and TRACEBACK in line for request_id, line in proxy_log.lines
    )


async def test_a_declared_oversized_body_is_413(start_gateway: Any) -> None:
    async with start_gateway(max_body_bytes=2048) as client:
        response = await client.post("/v1/activities", content=b"x" * 4096, headers=bearer())
        assert_problem(response, 413)
        small = await client.post("/v1/activities", content=b"x" * 1024, headers=bearer())
        assert small.status_code == 200
        assert small.json()["body"] == "x" * 1024


async def test_a_streamed_oversized_body_is_413(start_gateway: Any) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"y" * 1024

    async with start_gateway(max_body_bytes=2048) as client:
        response = await client.post("/v1/activities", content=chunks(), headers=bearer())
        assert_problem(response, 413)


async def test_a_client_leaving_mid_body_is_one_quiet_line(upstream_urls: dict[str, str]) -> None:
    # Served over real HTTP: leaving is something a client does to a connection.
    app = create_app(gateway_settings(upstream_urls, log_level="INFO"))
    recorder = _Recorder()
    names = ("gateway.proxy.upstream", "services.common.api.middleware", "uvicorn.error")
    watched = [logging.getLogger(name) for name in names]
    for logger in watched:
        logger.addHandler(recorder)
    try:
        async with app.router.lifespan_context(app), serving(app) as url:
            host, port = url.removeprefix("http://").split(":")
            _reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                f"POST /v1/communities HTTP/1.1\r\nhost: gw\r\n"
                f"authorization: {bearer()['Authorization']}\r\n"
                'content-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name"'.encode()
            )
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.close()

            async def reported() -> None:
                assert recorder.lines

            await eventually(reported, timeout=5)
            await asyncio.sleep(0.3)  # time for a second report, were there one
    finally:
        for logger in watched:
            logger.removeHandler(recorder)
    # Was: two tracebacks (ours and uvicorn's) and a 500 sent to nobody.
    [(request_id, line)] = recorder.lines
    assert "POST /v1/communities: the client left before sending the whole request" in line
    assert request_id != "-"


def test_the_paths_used_here_route_where_the_tests_expect() -> None:
    assert upstream_for("/v1/events/e1/registrations") == "events"
    assert upstream_for("/v1/activities") == "scoring"
    assert upstream_for("/v1/content/k1") == "content"
