"""The scoring service: the activity ledger, scores and leaderboards."""

from pathlib import Path

from fastapi import FastAPI

from services.common.membership import membership_consumer
from services.common.service import create_service_app
from services.scoring.api.routes import router
from services.scoring.messaging.handlers import LEDGER_CONSUMER
from services.scoring.settings import ScoringSettings
from services.scoring.storage.tables import membership, messaging


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    return create_service_app(
        settings=settings,
        title="Huoli scoring",
        description="The activity ledger, engagement scores and leaderboards.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[router],
        consumers=[LEDGER_CONSUMER, membership_consumer(settings.service_name, membership)],
    )
