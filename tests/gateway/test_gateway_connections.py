"""The gateway's pooled connections to the services: one caller's failure never becomes
another's.

Two real upstreams here, both over TCP on loopback: a uvicorn app that answers 500 and then
drops the connection unannounced (what uvicorn does when an exception escapes after the answer,
as it did from our services), and a bare HTTP/1.1 server that drops chosen requests unanswered.
"""

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from starlette.types import Receive, Scope, Send

from tests.gateway.fakes import bearer, serving
from tests.support import assert_problem

TRANSPORTS = ["aiohttp", "httpx"]
ROUNDS = 25


async def crash_after_answering(scope: Scope, receive: Receive, send: Send) -> None:
    """A path naming community `crash` answers 500 and then raises, so uvicorn closes the
    connection without having said `Connection: close`; anything else answers 200 after reading
    the whole body."""
    if scope["type"] != "http":
        return
    more_body = True
    while more_body:
        message = await receive()
        more_body = message.get("more_body", False)
    status = 500 if "/crash/" in scope["path"] else 200
    body = orjson.dumps({"method": scope["method"], "path": scope["path"]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
    if status == 500:
        raise RuntimeError("crashed after answering (expected in this test)")


@pytest.fixture(params=TRANSPORTS)
async def gateway_to_crashing_scoring(
    request: pytest.FixtureRequest, start_gateway: Any
) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serving(crash_after_answering) as url,  # type: ignore[arg-type]
        start_gateway(urls={"scoring": url}, http_transport=request.param) as client,
    ):
        yield client


async def test_a_connection_the_upstream_closed_after_a_500_is_never_reused(
    gateway_to_crashing_scoring: httpx.AsyncClient,
) -> None:
    gateway = gateway_to_crashing_scoring
    statuses: Counter[int] = Counter()
    for _ in range(ROUNDS):
        crashed = await gateway.get("/v1/communities/crash/leaderboard", headers=bearer("mallory"))
        assert_problem(crashed, 502)
        # Right after, on what may be the same pooled connection: a POST (never retried), then
        # other callers at once, every method.
        after = await gateway.post("/v1/activities", json=[], headers=bearer("alice"))
        together = await asyncio.gather(
            *(
                gateway.request(
                    method, "/v1/communities/ok/leaderboard", json={}, headers=bearer("bob")
                )
                for method in ("POST", "GET", "PUT", "PATCH", "DELETE")
            )
        )
        statuses.update(response.status_code for response in [after, *together])
    assert statuses == {200: ROUNDS * 6}


class DroppingUpstream:
    """A bare HTTP/1.1 server, keep-alive, that drops a request unanswered when its path names
    community `drop-always`, or `drop-once` the first time that path is seen. Every answer says on
    which connection, and as which request on it, the request came."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self._connections = itertools.count(1)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = next(self._connections)
        try:
            for served in itertools.count(1):
                request = await self._read_request(reader)
                if request is None:
                    return
                method, path = request
                self.seen[f"{method} {path}"] += 1
                if "/drop-always/" in path or (
                    "/drop-once/" in path and self.seen[f"{method} {path}"] == 1
                ):
                    return  # closes without a word, as a crashing or restarting service does
                body = orjson.dumps({"connection": connection, "request_on_connection": served})
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n" % len(body)
                )
                if method != "HEAD":
                    writer.write(body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str] | None:
        head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
        if not head:
            return None
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _version = request_line.split(" ")
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        return method, path


@asynccontextmanager
async def dropping_upstream() -> AsyncIterator[tuple[str, DroppingUpstream]]:
    upstream = DroppingUpstream()
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", upstream
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture(params=TRANSPORTS)
async def gateway_to_dropping_scoring(
    request: pytest.FixtureRequest, start_gateway: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, DroppingUpstream]]:
    async with (
        dropping_upstream() as (url, upstream),
        start_gateway(urls={"scoring": url}, http_transport=request.param) as client,
    ):
        yield client, upstream


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
async def test_an_idempotent_request_whose_connection_dropped_is_retried_once_on_a_fresh_one(
    gateway_to_dropping_scoring: tuple[httpx.AsyncClient, DroppingUpstream], method: str
) -> None:
    gateway, upstream = gateway_to_dropping_scoring
    # Idle pooled connections to choose from, so a retry that reused one would show.
    warm = await asyncio.gather(
        *(gateway.get(f"/v1/communities/warm{i}/leaderboard", headers=bearer()) for i in range(4))
    )
    assert [response.status_code for response in warm] == [200] * 4

    response = await gateway.request(
        method, "/v1/communities/drop-once/leaderboard", headers=bearer()
    )
    assert response.status_code == 200, response.text
    assert upstream.seen[f"{method} /v1/communities/drop-once/leaderboard"] == 2
    if method != "HEAD":
        assert response.json()["request_on_connection"] == 1

    # Once, not more: a request dropped every time is a 502 after two tries.
    dropped = await gateway.request(
        method, "/v1/communities/drop-always/leaderboard", headers=bearer()
    )
    assert dropped.status_code == 502
    assert upstream.seen[f"{method} /v1/communities/drop-always/leaderboard"] == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_request_that_is_not_idempotent_is_never_sent_twice(
    gateway_to_dropping_scoring: tuple[httpx.AsyncClient, DroppingUpstream], method: str
) -> None:
    gateway, upstream = gateway_to_dropping_scoring
    response = await gateway.request(
        method, "/v1/communities/drop-once/leaderboard", json={"n": 1}, headers=bearer()
    )
    # The service may have acted on it before the connection went: only the caller may resend.
    assert_problem(response, 502)
    assert upstream.seen[f"{method} /v1/communities/drop-once/leaderboard"] == 1
