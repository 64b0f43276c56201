"""Fake upstream services served over real HTTP, and helpers to talk to a gateway in front.

The gateway's client speaks HTTP (aiohttp or httpx), so the fakes run under uvicorn on free
loopback ports, in the test's event loop. Each fake echoes what it received, which is how the
tests see routing, forwarded headers and bodies from the upstream's side.
"""

import asyncio
import atexit
import concurrent.futures
import contextlib
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, create_model

from gateway.identity.tokens import issue_token
from gateway.settings import GatewaySettings
from services.common.components import GATEWAY
from services.common.components import SERVICES as COMPONENTS
from services.common.migrations import upgrade_to_head

SECRET = "test-secret-0123456789abcdef0123456789abcdef"
SERVICES = tuple(component.name for component in COMPONENTS)
# A path each fake documents in its OpenAPI document, one the gateway routes to it.
DOCUMENTED_PATHS = {
    "members": "/v1/communities/{community_id}/invites",
    "content": "/v1/content/{content_id}/votes",
    "events": "/v1/events/{event_id}/report",
    "scoring": "/v1/communities/{community_id}/scoring-rules",
}
TRACEBACK = 'Traceback (most recent call last):\n  File "secret_internal_module.py"'


class Shared(BaseModel):
    """Identical in every fake: merged under its own name."""

    value: int


def fake_upstream(name: str) -> FastAPI:
    app = FastAPI(title=f"fake {name}")
    app.state.openapi_hits = 0

    # Same name in every service, different fields: the merge must keep them apart.
    fields: dict[str, Any] = {f"{name}_field": (str, ...), "shared": (Shared, ...)}
    thing = create_model("Thing", **fields)

    async def documented(request: Request) -> Any:
        return thing(**{f"{name}_field": request.url.path, "shared": Shared(value=1)})

    path = DOCUMENTED_PATHS[name]
    app.add_api_route(path, documented, methods=["GET"], response_model=thing)
    if name == "members":
        # Documented here, but the gateway routes it to scoring: must not reach the merge.
        app.add_api_route("/v1/communities/{community_id}/metrics", documented, methods=["GET"])

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    openapi = app.openapi

    def counting_openapi() -> dict[str, Any]:
        app.state.openapi_hits += 1
        return openapi()

    app.openapi = counting_openapi  # type: ignore[method-assign]

    @app.api_route(
        "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        include_in_schema=False,
    )
    async def echo(request: Request, rest: str) -> Response:
        # `?fake=…` picks a misbehaviour on any path the gateway routes here.
        behaviour = request.query_params.get("fake")
        if behaviour == "slow":
            await asyncio.sleep(float(request.query_params.get("delay", "2")))
        if behaviour == "boom":
            return PlainTextResponse(TRACEBACK, status_code=500)
        if behaviour == "unavailable":
            # As a service answers while its database is away.
            retry_after = request.query_params.get("retry_after")
            return JSONResponse(
                {
                    "type": "https://huoli.dev/problems/service-unavailable",
                    "title": "Service unavailable",
                    "status": 503,
                    "detail": "The service cannot reach its database for now.",
                },
                status_code=503,
                media_type="application/problem+json",
                headers={"Retry-After": retry_after} if retry_after else None,
            )
        if behaviour == "missing":
            return JSONResponse(
                {
                    "type": "https://huoli.dev/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "no such thing",
                },
                status_code=404,
                media_type="application/problem+json",
            )
        if behaviour == "empty":
            return Response(status_code=204)
        if behaviour == "moved":
            # As FastAPI's trailing-slash redirect does: an absolute URL of the service itself.
            target = f"{request.base_url}v1/elsewhere?page=2"
            return Response(status_code=307, headers={"Location": target})
        body = await request.body()
        response = JSONResponse(
            {
                "service": name,
                "method": request.method,
                "path": request.scope["path"],
                "raw_path": request.scope["raw_path"].decode(),
                "query": request.scope["query_string"].decode(),
                "body": body.decode(),
                "headers": [[key, value] for key, value in request.headers.items()],
            },
            headers={"X-Upstream": name, "Cache-Control": "no-store"},
        )
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def serving(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """Serve `app` over HTTP on 127.0.0.1 in this event loop; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{bound_port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
        sock.close()


_DATABASES = Path(tempfile.mkdtemp(prefix="huoli-gateway-tests-"))
atexit.register(shutil.rmtree, _DATABASES, ignore_errors=True)
_MIGRATED = _DATABASES / "template.db"


def gateway_database_url() -> str:
    """A fresh SQLite database with the gateway's schema: a copy of one migrated per process
    (in a thread, since Alembic runs its own event loop)."""
    if not _MIGRATED.exists():
        url = f"sqlite+aiosqlite:///{_MIGRATED}"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(upgrade_to_head, ini_path=GATEWAY.alembic_ini, database_url=url).result()
    copy = _DATABASES / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(_MIGRATED, copy)
    return f"sqlite+aiosqlite:///{copy}"


def gateway_settings(urls: dict[str, str], **overrides: Any) -> GatewaySettings:
    """Settings of a gateway in front of these upstreams, with a database of its own and no
    broker (its consumers are off)."""
    fields: dict[str, Any] = {f"{name}_url": url for name, url in urls.items()}
    fields.update(environment="test", jwt_secret=SECRET, log_level="WARNING")
    fields.update(
        database_url=gateway_database_url(), run_migrations_on_startup=False, run_consumers=False
    )
    fields.update(overrides)
    return GatewaySettings(**fields)


def bearer(
    sub: str = "alice", *, roles: tuple[str, ...] = (), secret: str = SECRET
) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(sub, secret=secret, roles=roles)}"}


def echoed_headers(response: httpx.Response) -> dict[str, list[str]]:
    """The headers the fake upstream received, every value of each name."""
    received: dict[str, list[str]] = {}
    for key, value in response.json()["headers"]:
        received.setdefault(key, []).append(value)
    return received
