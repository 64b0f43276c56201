"""The gateway: the single REST surface (/v1) in front of the four services.

It authenticates callers (people's JWTs, partners' API keys), limits their rate, keeps the
first answer to a POST sent with an Idempotency-Key, routes each /v1 path to the service that
owns it, forwards the verified identity in signed X-Actor-* headers, serves its own partner
endpoints (API keys) from its own database, and serves one merged OpenAPI document.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from gateway.idempotency import repository as idempotency
from gateway.idempotency.middleware import IdempotencyMiddleware
from gateway.identity.auth import ActorSigner, TokenVerifier
from gateway.identity.edge import IdentifyMiddleware, SecurityHeadersMiddleware
from gateway.identity.jwks import JwksKeys
from gateway.identity.limits import rate_limiter
from gateway.partners.keys import ApiKeyAuthenticator
from gateway.partners.routes import router as partners_router
from gateway.proxy.openapi import MergedOpenApi
from gateway.proxy.routes import PROXIED_METHODS, GatewayRuntime, ServicePathRoute, proxy, router
from gateway.proxy.routing import template_for
from gateway.proxy.upstream import UpstreamProxy, build_client
from gateway.settings import GatewaySettings
from gateway.tables import membership, messaging
from gateway.webhooks import repository as webhook_repository
from gateway.webhooks.handlers import WEBHOOKS_GROUP, FanOutConsumer
from gateway.webhooks.routes import router as webhooks_router
from gateway.webhooks.workers import WebhookSender
from services.common.api.metrics import RequestMetricsMiddleware
from services.common.api.metrics import router as metrics_router
from services.common.api.middleware import install_edge_middleware
from services.common.api.problems import install_problem_handlers
from services.common.api.tracing import FASTAPI_TELEMETRY_OFF
from services.common.components import GATEWAY
from services.common.membership.handlers import membership_consumer
from services.common.openapi import operation_id
from services.common.process import open_process, run_background
from services.common.runtime import ServiceRuntime, WorkerSpec

logger = logging.getLogger(__name__)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_process(
            settings=settings, alembic_ini=GATEWAY.alembic_ini, tables=messaging
        ) as core:
            if settings.uses_development_secret:
                logger.warning(
                    "JWT_SECRET is not set: using the fixed development secret (%s mode); "
                    "tokens signed with it are public knowledge",
                    settings.environment,
                )
            runtime, closers = _open_runtime(settings, app, core)
            app.state.runtime = runtime
            try:
                async with run_background(
                    core,
                    tables=messaging,
                    consumers=[membership_consumer(GATEWAY.name, membership)],
                    workers=_workers(settings, runtime),
                ):
                    yield
            finally:
                for close in closers:
                    await close()

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
        # First: what most calls are, a service's path (see ServicePathRoute).
        routes=[ServicePathRoute()],
        telemetry=FASTAPI_TELEMETRY_OFF,
        # The partner routes' operationIds, like the services' (see services.common.openapi).
        generate_unique_id_function=operation_id,
    )
    install_problem_handlers(app)
    # Innermost first: idempotency needs the caller; the caller's 401/429 need CORS headers
    # for a browser to read them; a preflight is answered by CORS before anyone asks who.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(IdentifyMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=PROXIED_METHODS,
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-API-Key",
                "X-Request-ID",
                "traceparent",
                "tracestate",
            ],
            expose_headers=[
                "X-Request-ID",
                "X-Trace-ID",
                "Retry-After",
                "Location",
                "Idempotent-Replayed",
            ],
            max_age=600,
        )
    install_edge_middleware(app, max_body_bytes=settings.max_body_bytes, edge=True)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestMetricsMiddleware, component="gateway", template_for=template_for)
    app.include_router(router)
    app.include_router(metrics_router)
    app.include_router(partners_router, prefix="/v1")
    app.include_router(webhooks_router, prefix="/v1")
    # Last: every other /v1 path, which the proxy answers with 404 or 405.
    app.add_route("/v1/{path:path}", proxy, methods=PROXIED_METHODS, include_in_schema=False)
    return app


def _open_runtime(
    settings: GatewaySettings, app: FastAPI, core: ServiceRuntime
) -> tuple[GatewayRuntime, list[Callable[[], Awaitable[Any]]]]:
    """What the running gateway holds beside the process core, and how to close it, in order."""
    client = build_client(settings)
    retry_client = build_client(settings, pooled=False)
    upstreams = settings.upstream_urls()
    limiter = rate_limiter(
        redis_url=settings.redis_url,
        rate=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
    )
    jwks = None
    if settings.jwt_jwks_url:
        jwks = JwksKeys(
            url=settings.jwt_jwks_url,
            client=client,
            refresh_seconds=settings.jwt_jwks_refresh_seconds,
            min_refresh_seconds=settings.jwt_jwks_min_refresh_seconds,
        )
    if settings.webhook_allow_private_urls:
        logger.warning("WEBHOOK_ALLOW_PRIVATE_URLS is set: webhooks may reach private addresses")
    sender = WebhookSender(
        sessions=core.sessions,
        outbox=core.outbox,
        allow_private_urls=settings.webhook_allow_private_urls,
        retry_schedule_seconds=settings.webhook_retry_schedule_seconds,
        timeout_seconds=settings.webhook_timeout_seconds,
    )
    runtime = GatewayRuntime(
        settings=settings,
        client=client,
        verifier=TokenVerifier(
            secret=settings.jwt_secret,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            jwks=jwks,
        ),
        jwks=jwks,
        keys=ApiKeyAuthenticator(
            sessions=core.read_sessions, cache_seconds=settings.api_key_cache_seconds
        ),
        limiter=limiter,
        proxy=UpstreamProxy(
            client=client,
            upstreams=upstreams,
            signer=ActorSigner(settings.internal_secret),
            retry_client=retry_client,
        ),
        openapi=MergedOpenApi(client=client, upstreams=upstreams, local=app),
        sessions=core.sessions,
        read_sessions=core.read_sessions,
        outbox=core.outbox,
        kafka=core.kafka,
        webhooks=sender,
        readiness=core.readiness,
    )
    closers: list[Callable[[], Awaitable[Any]]] = [
        limiter.close,
        client.aclose,
        retry_client.aclose,
    ]
    return runtime, closers


def _workers(settings: GatewaySettings, runtime: GatewayRuntime) -> list[WorkerSpec]:
    """The gateway's own background jobs beside the process core's: the webhooks' fan-out
    consumer (graceful: it finishes its batch at shutdown), the webhook sender, the pruning of
    idempotency records and old deliveries, and the JWKS refresh."""
    workers = [
        WorkerSpec("webhook sender", lambda _core: runtime.webhooks.run()),
        WorkerSpec("pruning", lambda core: _prune_forever(settings, core)),
    ]
    if runtime.jwks is not None:
        jwks = runtime.jwks
        workers.append(WorkerSpec("JWKS refresh", lambda _core: jwks.run()))
    if settings.run_consumers:
        workers.append(
            WorkerSpec(f"consumer {WEBHOOKS_GROUP}", _fan_out(settings, runtime), graceful=True)
        )
    return workers


def _fan_out(
    settings: GatewaySettings, runtime: GatewayRuntime
) -> Callable[[ServiceRuntime], Awaitable[None]]:
    async def run(core: ServiceRuntime) -> None:
        consumer = FanOutConsumer(
            wake=runtime.webhooks.wake,
            sessions=core.sessions,
            outbox=core.outbox,
            kafka=core.kafka,
            max_attempts=settings.consumer_max_attempts,
            stopping=core.stopping,
            readiness=core.readiness,
        )
        await consumer.run()

    return run


async def _prune_forever(settings: GatewaySettings, core: ServiceRuntime) -> None:
    while True:
        now = datetime.now(UTC)
        async with core.unit_of_work() as uow:
            deleted = await idempotency.delete_expired_idempotency_records(uow.session, now=now)
            deleted += await webhook_repository.prune_deliveries(
                uow.session,
                created_before=now - timedelta(seconds=settings.webhook_log_retention_seconds),
            )
        if deleted:
            logger.info("pruned %d idempotency records and old deliveries", deleted)
        await asyncio.sleep(settings.prune_interval_seconds)
