"""The content service: content items, their review with automated screening, publishing rules
and the calendar, recurring series, polls, and the publisher."""

from pathlib import Path

from fastapi import FastAPI

from services.common.membership.handlers import membership_consumer
from services.common.service import create_service_app
from services.content.engagement.handlers import engagement_consumer
from services.content.erasure.handlers import erasure_consumer
from services.content.items.routes import router as items_router
from services.content.polls.routes import router as polls_router
from services.content.review.routes import router as review_router
from services.content.scheduling.handlers import cases_consumer
from services.content.scheduling.routes import router as scheduling_router
from services.content.scheduling.workers import publisher
from services.content.screening.routes import router as screening_router
from services.content.series.routes import router as series_router
from services.content.series.workers import series_materializer
from services.content.settings import ContentSettings
from services.content.suggestions.handlers import suggestions_consumer
from services.content.suggestions.routes import router as suggestions_router
from services.content.tables import membership, messaging


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
        # In this order, the order of the API's paths.
        routers=[
            items_router,
            review_router,
            scheduling_router,
            screening_router,
            series_router,
            polls_router,
            suggestions_router,
        ],
        consumers=[
            membership_consumer(settings.service_name, membership),
            engagement_consumer(settings.service_name),
            erasure_consumer(settings.service_name),
            suggestions_consumer(settings.service_name),
            cases_consumer(settings.service_name),
        ],
        workers=workers,
    )
