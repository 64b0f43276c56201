"""The members service: communities, memberships, roles, tiers; the source of truth for who
belongs where."""

from pathlib import Path

from fastapi import FastAPI

from services.common.service import create_service_app
from services.members.api import invites, roles, sanctions, tiers
from services.members.api.routes import router
from services.members.settings import MembersSettings
from services.members.storage.tables import messaging


def create_app(settings: MembersSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or MembersSettings(),
        title="Huoli members",
        description="Communities, memberships, roles and tiers.",
        alembic_ini=Path(__file__).parent / "alembic.ini",
        tables=messaging,
        routers=[router, roles.router, tiers.router, invites.router, sanctions.router],
    )
