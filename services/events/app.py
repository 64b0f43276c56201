"""The events service: events and, in later slices, registration, check-in, lotteries,
feedback and reports."""

from pathlib import Path

from fastapi import FastAPI

from services.common.service import create_service_app
from services.events.api.routes import router
from services.events.settings import EventsSettings
from services.events.storage.tables import messaging


def create_app(settings: EventsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or EventsSettings(),
        title="Huoli events",
        description="Community events: meetups, lectures, livestreams and more.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[router],
    )
