"""The scoring service: the activity ledger, scores and leaderboards."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from services.common.membership.handlers import membership_consumer
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.common.service import create_service_app
from services.scoring.badge_rules.routes import router as badge_rules_router
from services.scoring.badges.routes import router as badges_router
from services.scoring.coupons.routes import router as coupons_router
from services.scoring.engagement.routes import router as engagement_router
from services.scoring.goals.routes import router as goals_router
from services.scoring.ingestion.routes import router as ingestion_router
from services.scoring.ingestion.workers import held_activities_worker
from services.scoring.leaderboards.routes import router as leaderboards_router
from services.scoring.ledger.workers import LEDGER_WORKER
from services.scoring.level_benefits.routes import router as level_benefits_router
from services.scoring.lotteries.routes import router as lotteries_router
from services.scoring.member_lists.routes import router as member_lists_router
from services.scoring.metrics.routes import router as metrics_router
from services.scoring.nudges.handlers import nudges_consumer
from services.scoring.nudges.routes import router as nudges_router
from services.scoring.nudges.workers import nudge_scheduler
from services.scoring.onboarding.handlers import ONBOARDING_CONSUMER
from services.scoring.onboarding.routes import router as onboarding_router
from services.scoring.periods.workers import run_clockwork
from services.scoring.points.routes import router as points_router
from services.scoring.pools.handlers import POOLS_CONSUMER
from services.scoring.reports.handlers import REPORTS_CONSUMER
from services.scoring.reports.routes import router as reports_router
from services.scoring.reports.workers import report_worker
from services.scoring.rewards.routes import router as rewards_router
from services.scoring.scoring_rules.routes import router as scoring_rules_router
from services.scoring.settings import ScoringSettings
from services.scoring.tables import membership, messaging
from services.scoring.warnings.handlers import WARNINGS_CONSUMER
from services.scoring.warnings.routes import router as warnings_router


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

    app = create_service_app(
        settings=settings,
        title="Huoli scoring",
        description="The activity ledger, engagement scores and leaderboards.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        # In the order the endpoints have always been listed in the OpenAPI document.
        routers=[
            ingestion_router,
            leaderboards_router,
            engagement_router,
            points_router,
            scoring_rules_router,
            metrics_router,
            warnings_router,
            member_lists_router,
            rewards_router,
            badges_router,
            nudges_router,
            onboarding_router,
            coupons_router,
            badge_rules_router,
            level_benefits_router,
            lotteries_router,
            goals_router,
            reports_router,
        ],
        # The ledger consumer (scoring.ledger) runs as a worker: it takes batches, not events.
        consumers=[
            membership_consumer(settings.service_name, membership),
            WARNINGS_CONSUMER,
            nudges_consumer(settings.service_name),
            ONBOARDING_CONSUMER,
            POOLS_CONSUMER,
            REPORTS_CONSUMER,
        ],
        workers=[
            LEDGER_WORKER,
            WorkerSpec("scoring clockwork", clockwork),
            held_activities_worker(settings.hold_poll_seconds),
            nudge_scheduler(settings.nudge_poll_seconds),
            report_worker(settings.report_poll_seconds, enabled=settings.run_clockwork),
        ],
    )
    # How long POST /activities holds an item scoring's projection does not know yet.
    app.state.hold_seconds = settings.hold_seconds
    return app
