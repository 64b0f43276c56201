"""Builds a service's FastAPI app: middleware, problem handlers, health, and a lifespan that
migrates the database, then runs the outbox relay, the service's consumers and its workers."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.common.api.metrics import RequestMetricsMiddleware
from services.common.api.metrics import router as metrics_router
from services.common.api.middleware import install_edge_middleware
from services.common.api.problems import install_problem_handlers
from services.common.api.tracing import FASTAPI_TELEMETRY_OFF
from services.common.auth import ActorVerifier
from services.common.events.consumer import ConsumerSpec
from services.common.events.tables import MessagingTables
from services.common.health import router as health_router
from services.common.openapi import operation_id, problem_openapi
from services.common.process import open_process, run_background
from services.common.runtime import WorkerSpec
from services.common.settings import ServiceSettings


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
        async with open_process(
            settings=settings, alembic_ini=alembic_ini, tables=tables
        ) as runtime:
            app.state.runtime = runtime
            async with run_background(runtime, tables=tables, consumers=consumers, workers=workers):
                yield

    # No redirect_slashes: its 307 would point the caller at this service's own address, past
    # the gateway; a path with a trailing slash is a 404 like any other unknown path.
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        redirect_slashes=False,
        telemetry=FASTAPI_TELEMETRY_OFF,
        generate_unique_id_function=operation_id,
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
