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

from gateway.auth import ActorSigner, TokenVerifier
from gateway.edge import IdentifyMiddleware, SecurityHeadersMiddleware
from gateway.endpoints import PROXIED_METHODS, GatewayRuntime, ServicePathRoute, proxy, router
from gateway.idempotency import IdempotencyMiddleware
from gateway.jwks import JwksKeys
from gateway.keys import ApiKeyAuthenticator
from gateway.limits import rate_limiter
from gateway.openapi import MergedOpenApi
from gateway.partners.routes import router as partners_router
from gateway.proxy import UpstreamProxy, build_client
from gateway.routing import template_for
from gateway.settings import GatewaySettings
from gateway.storage import repository
from gateway.storage import webhooks as webhook_repository
from gateway.storage.tables import membership, messaging
from gateway.webhooks.dispatcher import FanOutConsumer, WebhookSender
from gateway.webhooks.routes import router as webhooks_router
from services.common.api.problems import install_problem_handlers
from services.common.background import cancel_all, drain, supervised
from services.common.components import GATEWAY
from services.common.db import create_engine, session_factory
from services.common.events.catalogue import ALL_TOPICS
from services.common.events.consumer import InboxConsumer
from services.common.events.housekeeping import prune_messaging_tables
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox, OutboxRelay
from services.common.logs import configure_logging
from services.common.membership.handlers import membership_handlers
from services.common.metrics import RequestMetricsMiddleware, sample_outbox_forever
from services.common.metrics import router as metrics_router
from services.common.middleware import install_edge_middleware
from services.common.migrations import upgrade_to_head
from services.common.tracing import FASTAPI_TELEMETRY_OFF, configure_tracing, shutdown_tracing

logger = logging.getLogger(__name__)

MEMBERSHIP_GROUP = f"{GATEWAY.name}.membership"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(
            settings.log_level, format=settings.log_format, service=settings.service_name
        )
        configure_tracing(settings.otel_exporter, service_name=settings.service_name)
        if settings.uses_development_secret:
            logger.warning(
                "JWT_SECRET is not set: using the fixed development secret (%s mode); "
                "tokens signed with it are public knowledge",
                settings.environment,
            )
        database_url = settings.resolved_database_url()
        if settings.run_migrations_on_startup:
            await asyncio.to_thread(
                upgrade_to_head, ini_path=GATEWAY.alembic_ini, database_url=database_url
            )
        runtime, closers = _open_runtime(settings, app, database_url)
        app.state.runtime = runtime
        stopping = asyncio.Event()
        graceful, others = _background_jobs(settings, runtime, stopping)
        graceful_tasks = [
            asyncio.create_task(supervised(name, run, stopping)) for name, run in graceful
        ]
        tasks = [asyncio.create_task(supervised(name, run, stopping)) for name, run in others]
        try:
            yield
        finally:
            # As a service stops: the relay publishes what is pending (a `webhook.disabled`
            # would otherwise wait for the next start), the consumers finish their batch and
            # leave their groups; the rest is cancelled.
            stopping.set()
            await cancel_all(tasks)
            await drain(graceful_tasks, grace_seconds=settings.shutdown_grace_seconds)
            for close in closers:
                await close()
            shutdown_tracing()  # flushes the spans still batched

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
    settings: GatewaySettings, app: FastAPI, database_url: str
) -> tuple[GatewayRuntime, list[Callable[[], Awaitable[Any]]]]:
    """What the running gateway holds, and how to close it, in order."""
    engine = create_engine(database_url)
    read_engine = create_engine(database_url, read_only=True)
    sessions = session_factory(engine)
    read_sessions = session_factory(read_engine)
    kafka = KafkaLink(settings, ALL_TOPICS)
    client = build_client(settings)
    retry_client = build_client(settings, pooled=False)
    upstreams = settings.upstream_urls()
    limiter = rate_limiter(
        redis_url=settings.redis_url,
        rate=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
    )
    outbox = Outbox(messaging, source=GATEWAY.name)
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
        sessions=sessions,
        outbox=outbox,
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
            sessions=read_sessions, cache_seconds=settings.api_key_cache_seconds
        ),
        limiter=limiter,
        proxy=UpstreamProxy(
            client=client,
            upstreams=upstreams,
            signer=ActorSigner(settings.internal_secret),
            retry_client=retry_client,
        ),
        openapi=MergedOpenApi(client=client, upstreams=upstreams, local=app),
        sessions=sessions,
        read_sessions=read_sessions,
        outbox=outbox,
        kafka=kafka,
        webhooks=sender,
    )
    closers: list[Callable[[], Awaitable[Any]]] = [
        kafka.close,
        limiter.close,
        client.aclose,
        retry_client.aclose,
        engine.dispose,
        read_engine.dispose,
    ]
    return runtime, closers


Job = tuple[str, Callable[[], Awaitable[None]]]


def _background_jobs(
    settings: GatewaySettings, runtime: GatewayRuntime, stopping: asyncio.Event
) -> tuple[list[Job], list[Job]]:
    """The jobs given time to finish at shutdown (the outbox relay, for the gateway's own
    events such as `webhook.disabled`, and the consumers: the membership projection and the
    webhooks' fan-out), and the others (pruning, the webhook sender, the outbox gauges, the
    JWKS refresh)."""
    relay = OutboxRelay.of(runtime, settings, stopping)
    graceful: list[Job] = [("outbox relay", relay.run)]
    others: list[Job] = [
        ("pruning", lambda: _prune_forever(settings, runtime.sessions)),
        ("webhook sender", runtime.webhooks.run),
        (
            "outbox metrics",
            lambda: sample_outbox_forever(runtime.read_sessions, messaging, GATEWAY.name),
        ),
    ]
    if runtime.jwks is not None:
        others.append(("JWKS refresh", runtime.jwks.run))
    if not settings.run_consumers:
        return graceful, others
    shared: dict[str, Any] = {
        "sessions": runtime.sessions,
        "outbox": runtime.outbox,
        "tables": messaging,
        "kafka": runtime.kafka,
        "max_attempts": settings.consumer_max_attempts,
        "stopping": stopping,
    }
    handlers = membership_handlers(membership)
    membership_consumer = InboxConsumer(
        group_id=MEMBERSHIP_GROUP,
        topics=sorted({event.kafka_topic() for event in handlers}),
        handlers=handlers,
        **shared,
    )
    webhooks_consumer = FanOutConsumer(wake=runtime.webhooks.wake, **shared)
    graceful.append((f"consumer {MEMBERSHIP_GROUP}", membership_consumer.run))
    graceful.append((f"consumer {webhooks_consumer.group_id}", webhooks_consumer.run))
    return graceful, others


async def _prune_forever(settings: GatewaySettings, sessions: Any) -> None:
    while True:
        now = datetime.now(UTC)
        async with sessions() as session:
            deleted = await repository.delete_expired_idempotency_records(session, now=now)
            deleted += await webhook_repository.prune_deliveries(
                session,
                created_before=now - timedelta(seconds=settings.webhook_log_retention_seconds),
            )
            await session.commit()
        deleted += await prune_messaging_tables(sessions, messaging, settings)
        if deleted:
            logger.info("pruned %d idempotency records, old deliveries and inbox rows", deleted)
        await asyncio.sleep(settings.prune_interval_seconds)
