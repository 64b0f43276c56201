"""The gateway: the single REST surface (/v1) in front of the four services.

It authenticates callers, routes each /v1 path to the service that owns it, forwards the
verified identity in X-Actor-* headers, and serves one merged OpenAPI document.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.auth import ActorSigner, TokenVerifier
from gateway.endpoints import PROXIED_METHODS, GatewayRuntime, proxy, router
from gateway.openapi import MergedOpenApi
from gateway.proxy import UpstreamProxy, build_client
from gateway.settings import GatewaySettings
from services.common.errors import install_problem_handlers
from services.common.logs import configure_logging
from services.common.middleware import install_edge_middleware

logger = logging.getLogger(__name__)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        if settings.uses_development_secret:
            logger.warning(
                "JWT_SECRET is not set: using the fixed development secret (%s mode); "
                "tokens signed with it are public knowledge",
                settings.environment,
            )
        client = build_client(settings)
        retry_client = build_client(settings, pooled=False)
        upstreams = settings.upstream_urls()
        app.state.runtime = GatewayRuntime(
            settings=settings,
            client=client,
            verifier=TokenVerifier(
                secret=settings.jwt_secret,
                audience=settings.jwt_audience,
                leeway=settings.jwt_leeway_seconds,
            ),
            proxy=UpstreamProxy(
                client=client,
                upstreams=upstreams,
                signer=ActorSigner(settings.internal_secret),
                retry_client=retry_client,
            ),
            openapi=MergedOpenApi(client=client, upstreams=upstreams),
        )
        try:
            yield
        finally:
            await client.aclose()
            await retry_client.aclose()

    # The gateway's own routes are not the API: /openapi.json and /docs serve the merged one.
    app = FastAPI(
        title="Huoli gateway",
        version="1.0.0",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # A redirect would answer for paths the services own; /v1 paths are forwarded as sent.
        redirect_slashes=False,
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    install_edge_middleware(app, max_body_bytes=settings.max_body_bytes)
    app.include_router(router)
    app.add_route("/v1/{path:path}", proxy, methods=PROXIED_METHODS, include_in_schema=False)
    return app
