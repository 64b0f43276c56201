"""The gateway's HTTP surface: probes, the merged API documentation, and the /v1 proxy."""

import asyncio
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import aiohttp
import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import Match, Route
from starlette.types import Scope

from gateway.identity.auth import Identity, TokenVerifier, UnknownSigningKey
from gateway.identity.edge import identity_of
from gateway.identity.jwks import JwksKeys
from gateway.identity.limits import RateLimiter
from gateway.partners.access import check_partner_call
from gateway.partners.keys import ApiKeyAuthenticator
from gateway.proxy.openapi import TITLE, MergedOpenApi
from gateway.proxy.routing import has_dot_segment, is_local, is_public, upstream_for
from gateway.proxy.upstream import UpstreamProxy
from gateway.settings import GatewaySettings
from gateway.webhooks.workers import WebhookSender
from services.common.errors import DomainError, NotFound
from services.common.events.catalogue.asyncapi import asyncapi_document
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox
from services.common.faults import Readiness

PROXIED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
READINESS_TIMEOUT_SECONDS = 2.0
# Swagger UI as the fastapi-offline package ships it: /docs works offline and loads nothing
# from a CDN. Only these names are served, so no request path reaches the file system.
_SWAGGER_FILES = Path(str(files("fastapi_offline") / "static"))
SWAGGER_ASSETS = {
    name: _SWAGGER_FILES / name
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")
}
SWAGGER_ASSETS_URL = "/docs/assets"

router = APIRouter()


class MethodNotAllowed(DomainError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


@dataclass(frozen=True)
class GatewayRuntime:
    """What the running gateway holds. `sessions`, `read_sessions` and `outbox` have the names
    the services' runtime gives them, so the gateway's own routes use the same
    UnitOfWorkDep and ReadSessionDep."""

    settings: GatewaySettings
    client: httpx.AsyncClient
    verifier: TokenVerifier
    keys: ApiKeyAuthenticator
    limiter: RateLimiter
    proxy: UpstreamProxy
    openapi: MergedOpenApi
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    kafka: KafkaLink
    webhooks: WebhookSender
    jwks: JwksKeys | None = None
    # The gateway's own consumers paused on a transient fault (its database away).
    readiness: Readiness = field(default_factory=Readiness)

    async def authenticate(self, authorization: str | None, api_key: str | None) -> Identity:
        """The caller: a partner when an X-API-Key is sent, else the bearer token's subject."""
        if api_key is not None:
            return await self.keys.identify(api_key)
        headers = {"authorization": authorization} if authorization else {}
        try:
            return self.verifier.identify(headers)
        except UnknownSigningKey:
            # A key id not seen yet: the provider may have rotated its keys.
            if self.jwks is None or not await self.jwks.refresh_for_unknown_key():
                raise
        return self.verifier.identify(headers)


# `async def` so FastAPI calls it on the event loop rather than in its thread pool.
async def _runtime(request: Request) -> GatewayRuntime:
    runtime: GatewayRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[GatewayRuntime, Depends(_runtime)]


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Every upstream service says it is ready, and none of the gateway's consumers is paused."""
    names = list(runtime.proxy.names)
    states = await asyncio.gather(*(_readiness(runtime, name) for name in names))
    services = dict(zip(names, states, strict=True))
    paused = runtime.readiness.problems()
    ready = all(state == "ok" for state in states) and not paused
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "services": services}
    if paused:
        body["paused"] = paused
    return JSONResponse(body, status_code=200 if ready else 503)


async def _readiness(runtime: GatewayRuntime, name: str) -> str:
    try:
        response = await runtime.client.get(
            runtime.proxy.url(name, b"/readyz"), timeout=READINESS_TIMEOUT_SECONDS
        )
    except (httpx.HTTPError, aiohttp.ClientError, OSError, TimeoutError):
        return "unreachable"
    return "ok" if response.status_code == 200 else f"not ready ({response.status_code})"


@router.get("/openapi.json", include_in_schema=False)
async def openapi_document(runtime: RuntimeDep) -> JSONResponse:
    """The whole /v1 API, merged from the services' documents."""
    return JSONResponse(await runtime.openapi.document())


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi(runtime: RuntimeDep) -> JSONResponse:
    """The event contract (AsyncAPI 3.0), made from the event catalogue: what webhooks deliver
    and what the services publish on Kafka."""
    servers = runtime.settings.kafka_bootstrap_servers
    return JSONResponse(asyncapi_document(kafka_host=servers.split(",")[0] or "localhost:9092"))


@router.get("/docs", include_in_schema=False)
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{TITLE} — docs",
        swagger_js_url=f"{SWAGGER_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_ASSETS_URL}/favicon.png",
        # Swagger UI would otherwise send the document to validator.swagger.io for a badge.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(f"{SWAGGER_ASSETS_URL}/{{name}}", include_in_schema=False)
async def swagger_asset(name: str) -> FileResponse:
    path = SWAGGER_ASSETS.get(name)
    if path is None:
        raise NotFound(f"There is no documentation asset named {name}.")
    # The files change only with the package's version; a day of caching spares reloads.
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


async def proxy(request: Request) -> Response:
    """Forward an authenticated /v1 call to the service that owns the path.

    A plain Starlette endpoint rather than a FastAPI one: it takes no parameters to validate,
    and FastAPI's dependency solving would be a good part of the cost of every proxied call.
    """
    runtime: GatewayRuntime = request.app.state.runtime
    path: str = request.scope["path"]
    # A public path's token is its credential: it is read without one (and without the
    # caller's identity, had they sent one, so a key's scopes do not decide it either).
    public = request.method in ("GET", "HEAD") and is_public(path)
    identity = None if public else identity_of(request.scope)
    if has_dot_segment(path):
        raise DomainError("A path may not contain '.' or '..' segments.")
    upstream = upstream_for(path)
    if upstream is None:
        if is_local(path):
            allowed = _local_methods(request)
            raise MethodNotAllowed(
                f"{request.method} is not served at {path}.",
                headers={"Allow": ", ".join(allowed)},
            )
        raise NotFound(f"There is no endpoint at {path}.")
    if identity is not None and identity.is_partner:
        await check_partner_call(request, identity)
    return await runtime.proxy.forward(request, upstream=upstream, identity=identity)


class ServicePathRoute(Route):
    """The proxy, for the paths a service owns, and only those.

    The app lists it first, so such a path reaches the proxy without being matched against
    each of the gateway's own routes in turn (FastAPI's router tries every route, and each
    included router's routes, until one matches): that was about a tenth of the gateway's
    samples in a profile at concurrency 1 (issue 10). No path the gateway serves itself is a
    service's (tests/gateway/test_gateway_routing.py), so it takes nothing from them. Every
    other /v1 path reaches the proxy through the catch-all route listed last, which answers
    404 or 405.
    """

    def __init__(self) -> None:
        super().__init__("/v1/{path:path}", proxy, methods=PROXIED_METHODS, include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or upstream_for(scope["path"]) is None:
            return Match.NONE, {}
        return super().matches(scope)


def _local_methods(request: Request) -> list[str]:
    """The methods the gateway's own routes serve at this path (for a 405's Allow)."""
    own_routes = [
        route
        for route in request.app.router.routes
        if getattr(route, "endpoint", None) is not proxy
    ]
    return [
        method
        for method in PROXIED_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in own_routes
        )
    ]
