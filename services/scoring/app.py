"""The scoring service: the activity ledger, scores and leaderboards."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from services.common.membership.handlers import membership_consumer
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.common.service import create_service_app
from services.scoring.api.routes import router
from services.scoring.domain.period_close import run_clockwork
from services.scoring.messaging.handlers import LEDGER_WORKER
from services.scoring.settings import ScoringSettings
from services.scoring.storage.tables import membership, messaging


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()

    async def clockwork(runtime: ServiceRuntime) -> None:
        if not settings.run_clockwork:
            await asyncio.Event().wait()
        await run_clockwork(
            runtime,
            poll_seconds=settings.period_close_poll_seconds,
            sweep_seconds=settings.segment_sweep_seconds,
        )

    return create_service_app(
        settings=settings,
        title="Huoli scoring",
        description="The activity ledger, engagement scores and leaderboards.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[router],
        # The ledger consumer (scoring.ledger) runs as a worker: it takes batches, not events.
        consumers=[membership_consumer(settings.service_name, membership)],
        workers=[
            WorkerSpec("consumer scoring.ledger", LEDGER_WORKER, graceful=True),
            WorkerSpec("scoring clockwork", clockwork),
        ],
    )
