"""The members service: communities, memberships, roles, tiers; the source of truth for who
belongs where."""

from pathlib import Path

from fastapi import FastAPI

from services.common.service import create_service_app
from services.members.api import erasure, invites, roles, sanctions, tier_policy, tiers
from services.members.api.routes import router
from services.members.messaging.engagement import ENGAGEMENT_CONSUMER
from services.members.messaging.scheduler import activity_pruning_worker, tier_policy_worker
from services.members.settings import MembersSettings
from services.members.storage.tables import messaging


def create_app(settings: MembersSettings | None = None) -> FastAPI:
    settings = settings or MembersSettings()
    return create_service_app(
        settings=settings,
        title="Huoli members",
        description="Communities, memberships, roles, tiers, sanctions and the tier policy.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[
            router,
            roles.router,
            tiers.router,
            invites.router,
            sanctions.router,
            tier_policy.router,
            erasure.router,
        ],
        consumers=[ENGAGEMENT_CONSUMER],
        workers=[
            tier_policy_worker(settings.tier_policy_poll_seconds),
            activity_pruning_worker(
                keep_days=settings.activity_days_kept,
                interval_seconds=settings.prune_interval_seconds,
            ),
        ],
    )
