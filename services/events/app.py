"""The events service: events and their lifecycle, registration with a waitlist, check-in,
feedback and reports, lotteries, 打卡 challenges and an iCalendar feed."""

from pathlib import Path

from fastapi import FastAPI

from services.common.membership.handlers import membership_consumer
from services.common.service import create_service_app
from services.events.api.routes import router
from services.events.domain.erasure import erasure_consumer
from services.events.domain.scheduler import scheduler_worker
from services.events.settings import EventsSettings
from services.events.storage.tables import membership, messaging


def create_app(settings: EventsSettings | None = None) -> FastAPI:
    settings = settings or EventsSettings()
    return create_service_app(
        settings=settings,
        title="Huoli events",
        description="Community events: meetups, lectures, livestreams and more.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[router],
        consumers=[
            membership_consumer(settings.service_name, membership),
            erasure_consumer(settings.service_name),
        ],
        workers=[scheduler_worker(settings.scheduler_poll_seconds)],
    )
