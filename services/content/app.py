"""The content service: content items and, in later slices, their review, scheduling and
publishing workflow."""

from pathlib import Path

from fastapi import FastAPI

from services.common.membership import membership_consumer
from services.common.service import create_service_app
from services.content.api.routes import router
from services.content.settings import ContentSettings
from services.content.storage.tables import membership, messaging


def create_app(settings: ContentSettings | None = None) -> FastAPI:
    settings = settings or ContentSettings()
    return create_service_app(
        settings=settings,
        title="Huoli content",
        description="Content items: articles, announcements, briefs, polls and more.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[router],
        consumers=[membership_consumer(settings.service_name, membership)],
    )
