"""The members service: communities, memberships, roles, tiers; the source of truth for who
belongs where."""

from pathlib import Path

from fastapi import FastAPI

from services.common.service import create_service_app
from services.members.applications.routes import router as applications_router
from services.members.approval.routes import router as approval_router
from services.members.benefits.handlers import LEVELS_CONSUMER
from services.members.benefits.routes import router as benefits_router
from services.members.cases.handlers import CASES_CONSUMER
from services.members.cases.routes import router as cases_router
from services.members.communities.routes import router as communities_router
from services.members.credited.handlers import CREDITED_CONSUMER
from services.members.credited.workers import credited_pruning_worker
from services.members.erasure.routes import router as erasure_router
from services.members.exits.routes import router as exits_router
from services.members.incidents.handlers import ALERTS_CONSUMER
from services.members.incidents.routes import router as incidents_router
from services.members.invites.routes import router as invites_router
from services.members.joining.routes import router as joining_router
from services.members.leaving.routes import router as leaving_router
from services.members.lockdown.routes import router as lockdown_router
from services.members.memberships.routes import router as memberships_router
from services.members.moderation.routes import router as moderation_router
from services.members.profile.routes import router as profile_router
from services.members.roles.routes import router as roles_router
from services.members.rulebook.routes import router as rulebook_router
from services.members.sanctions.routes import router as sanctions_router
from services.members.segments.handlers import SEGMENTS_CONSUMER
from services.members.settings import MembersSettings
from services.members.surveys.handlers import SURVEYS_CONSUMER
from services.members.surveys.routes import router as surveys_router
from services.members.surveys.workers import monthly_survey_worker
from services.members.tables import messaging
from services.members.tier_policy.routes import router as tier_policy_router
from services.members.tier_policy.workers import standings_refresh_worker, tier_policy_worker
from services.members.tiers.routes import router as tiers_router
from services.members.welcome.routes import router as welcome_router


def create_app(settings: MembersSettings | None = None) -> FastAPI:
    settings = settings or MembersSettings()
    return create_service_app(
        settings=settings,
        title="Huoli members",
        description="Communities, memberships, roles, tiers, sanctions and the tier policy.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[
            communities_router,
            joining_router,
            memberships_router,
            approval_router,
            roles_router,
            leaving_router,
            tiers_router,
            benefits_router,
            invites_router,
            sanctions_router,
            profile_router,
            tier_policy_router,
            erasure_router,
            moderation_router,
            cases_router,
            lockdown_router,
            incidents_router,
            surveys_router,
            welcome_router,
            applications_router,
            exits_router,
            rulebook_router,
        ],
        consumers=[
            CREDITED_CONSUMER,
            SEGMENTS_CONSUMER,
            ALERTS_CONSUMER,
            SURVEYS_CONSUMER,
            LEVELS_CONSUMER,
            CASES_CONSUMER,
        ],
        workers=[
            tier_policy_worker(settings.tier_policy_poll_seconds),
            standings_refresh_worker(),
            monthly_survey_worker(settings.survey_poll_seconds),
            credited_pruning_worker(
                keep_days=settings.credited_days_kept,
                interval_seconds=settings.prune_interval_seconds,
            ),
        ],
    )
