"""The content service: content items, their review with automated screening, publishing rules
and the calendar, recurring series, polls, and the publisher."""

from pathlib import Path

from fastapi import FastAPI

from services.common.membership.handlers import membership_consumer
from services.common.service import create_service_app
from services.content.api.routes import router
from services.content.messaging.workers import content_consumers, publisher, series_materializer
from services.content.settings import ContentSettings
from services.content.storage.tables import membership, messaging


def create_app(settings: ContentSettings | None = None) -> FastAPI:
    settings = settings or ContentSettings()
    workers = []
    if settings.run_publisher:
        workers.append(publisher(settings))
    if settings.run_series_worker:
        workers.append(series_materializer(settings))
    return create_service_app(
        settings=settings,
        title="Huoli content",
        description="Content items, review and screening, the calendar, series, polls.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[router],
        consumers=[
            membership_consumer(settings.service_name, membership),
            *content_consumers(settings.service_name),
        ],
        workers=workers,
    )
