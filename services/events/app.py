"""The events service: events and their lifecycle, registration with a waitlist, check-in,
feedback and reports, lotteries, 打卡 challenges and an iCalendar feed."""

from pathlib import Path

from fastapi import FastAPI

from services.common.membership.handlers import membership_consumer
from services.common.service import create_service_app
from services.events.attendance.routes import router as attendance_router
from services.events.calendar.handlers import calendar_consumer
from services.events.calendar.routes import router as calendar_router
from services.events.challenges.routes import router as challenges_router
from services.events.erasure.handlers import erasure_consumer
from services.events.events.routes import router as events_router
from services.events.events.workers import scheduler_worker
from services.events.feedback.routes import router as feedback_router
from services.events.lotteries.routes import router as lotteries_router
from services.events.registrations.routes import router as registrations_router
from services.events.reports.routes import router as reports_router
from services.events.settings import EventsSettings
from services.events.tables import membership, messaging


def create_app(settings: EventsSettings | None = None) -> FastAPI:
    settings = settings or EventsSettings()
    return create_service_app(
        settings=settings,
        title="Huoli events",
        description="Community events: meetups, lectures, livestreams and more.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[
            events_router,
            calendar_router,
            registrations_router,
            attendance_router,
            feedback_router,
            reports_router,
            lotteries_router,
            challenges_router,
        ],
        consumers=[
            membership_consumer(settings.service_name, membership),
            erasure_consumer(settings.service_name),
            calendar_consumer(settings.service_name),
        ],
        # One scheduler: it completes events and expires offers (events.workers).
        workers=[scheduler_worker(settings.scheduler_poll_seconds)],
    )
