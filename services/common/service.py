"""Builds a service's FastAPI app: middleware, problem handlers, health, and a lifespan that
migrates the database, then runs the outbox relay, the service's consumers and its workers."""

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from services.common.api.problems import install_problem_handlers
from services.common.auth import ActorVerifier
from services.common.background import cancel_all, drain, supervised
from services.common.db import create_engine, session_factory
from services.common.events.catalogue import ALL_TOPICS, dlq_topic
from services.common.events.consumer import ConsumerSpec, InboxConsumer
from services.common.events.housekeeping import housekeeping_workers
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox, OutboxRelay
from services.common.events.tables import MessagingTables
from services.common.health import router as health_router
from services.common.logs import configure_logging
from services.common.metrics import RequestMetricsMiddleware, outbox_metrics_worker
from services.common.metrics import router as metrics_router
from services.common.middleware import install_edge_middleware
from services.common.migrations import upgrade_to_head
from services.common.openapi import problem_openapi
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.common.settings import ServiceSettings
from services.common.tracing import FASTAPI_TELEMETRY_OFF, configure_tracing, shutdown_tracing

logger = logging.getLogger(__name__)


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    alembic_ini: Path,
    tables: MessagingTables,
    routers: Sequence[APIRouter],
    consumers: Sequence[ConsumerSpec] = (),
    workers: Sequence[WorkerSpec] = (),
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(
            settings.log_level, format=settings.log_format, service=settings.service_name
        )
        configure_tracing(settings.otel_exporter, service_name=settings.service_name)
        database_url = settings.resolved_database_url()
        if settings.run_migrations_on_startup:
            await asyncio.to_thread(
                upgrade_to_head, ini_path=alembic_ini, database_url=database_url
            )
        engine = create_engine(database_url)
        # Requests that only read get an engine of their own, without transactions.
        read_engine = create_engine(database_url, read_only=True)
        kafka = KafkaLink(settings, [*ALL_TOPICS, *(dlq_topic(topic) for topic in ALL_TOPICS)])
        outbox = Outbox(tables, source=settings.service_name)
        runtime = ServiceRuntime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            read_sessions=session_factory(read_engine),
            kafka=kafka,
            outbox=outbox,
        )
        app.state.runtime = runtime
        stopping = runtime.stopping
        relay = OutboxRelay.of(runtime, settings, stopping)
        # Jobs that finish their work in hand at shutdown; the others are cancelled.
        graceful = [supervised("outbox relay", relay.run, stopping)]
        jobs: list[Coroutine[Any, Any, None]] = []
        for worker in (
            *workers,
            *housekeeping_workers(tables, settings),
            outbox_metrics_worker(tables, settings.service_name),
        ):
            job = supervised(worker.name, partial(worker.run, runtime), stopping)
            (graceful if worker.graceful else jobs).append(job)
        for spec in consumers if settings.run_consumers else ():
            consumer = InboxConsumer(
                group_id=spec.group_id,
                topics=spec.topics,
                handlers=spec.handlers,
                sessions=runtime.sessions,
                outbox=runtime.outbox,
                tables=tables,
                kafka=kafka,
                max_attempts=settings.consumer_max_attempts,
                stopping=stopping,
            )
            graceful.append(supervised(f"consumer {spec.group_id}", consumer.run, stopping))
        graceful_tasks = [asyncio.create_task(job) for job in graceful]
        tasks = [asyncio.create_task(job) for job in jobs]
        try:
            yield
        finally:
            # uvicorn runs this once it has answered the requests in flight.
            stopping.set()
            await cancel_all(tasks)
            await drain(graceful_tasks, grace_seconds=settings.shutdown_grace_seconds)
            await kafka.close()
            await engine.dispose()
            await read_engine.dispose()
            shutdown_tracing()  # flushes the spans still batched

    # No redirect_slashes: its 307 would point the caller at this service's own address, past
    # the gateway; a path with a trailing slash is a 404 like any other unknown path.
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        redirect_slashes=False,
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    app.openapi = problem_openapi(app)  # type: ignore[method-assign]
    install_problem_handlers(app)
    app.state.actor_verifier = ActorVerifier(settings.internal_secret)
    install_edge_middleware(app, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetricsMiddleware, component=settings.service_name)
    app.include_router(health_router)
    app.include_router(metrics_router)
    for router in routers:
        app.include_router(router, prefix="/v1")
    return app
