"""What the events service's tests share: the app with a seeded membership projection, and
events relative to now (registration and check-in windows depend on the clock)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.common.components import EVENTS
from services.common.events.catalogue import MemberJoined
from services.common.membership.repository import save_membership
from services.events.tables import membership
from tests.conftest import MigratedDatabases
from tests.support import actor, member_id_of, running_service, seed_membership, service_app

COMMUNITY = "cmty_01JDEVENTSTEST00000000000"
ROLES = {"alice": "admin", "officer": "event_officer", "member": "member", "bob": "member"}
CORE_TIER = "tier_core"
SECOND_TIER = "tier_second"


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    database_url: str


async def seed(app: FastAPI) -> None:
    """COMMUNITY (Asia/Shanghai) with an owner, alice (admin), officer (event officer), member
    and bob (plain members, bob in the second tier, everyone else in the core tier)."""
    await seed_membership(app, membership, COMMUNITY, ROLES)
    async with app.state.runtime.sessions() as session:
        for user_id in ("owner", *ROLES):
            await save_membership(
                session,
                membership,
                MemberJoined(
                    community_id=COMMUNITY,
                    member_id=member_id_of(user_id),
                    user_id=user_id,
                    display_name=user_id,
                    status="active",
                    role=ROLES.get(user_id, "owner"),
                    tier_id=SECOND_TIER if user_id == "bob" else CORE_TIER,
                    joined_at=datetime.now(UTC),
                ),
            )
        await session.commit()


async def add_members(app: FastAPI, user_ids: list[str], *, tier_id: str = CORE_TIER) -> None:
    async with app.state.runtime.sessions() as session:
        for user_id in user_ids:
            await save_membership(
                session,
                membership,
                MemberJoined(
                    community_id=COMMUNITY,
                    member_id=member_id_of(user_id),
                    user_id=user_id,
                    display_name=user_id,
                    status="active",
                    role="member",
                    tier_id=tier_id,
                    joined_at=datetime.now(UTC),
                ),
            )
        await session.commit()


def events_service(**settings: Any) -> Any:
    """A fixture: the events service in-process on each backend, seeded, consumers off."""

    @pytest.fixture
    async def service(
        backend: str, migrated_databases: MigratedDatabases, broker: str, tmp_path: Path
    ) -> AsyncIterator[Service]:
        async with migrated_databases.copy(backend, EVENTS, tmp_path) as database_url:
            app = service_app(
                EVENTS,
                database_url=database_url,
                broker=broker,
                run_migrations_on_startup=False,
                **{"run_consumers": False, **settings},
            )
            async with running_service(app) as client:
                await seed(app)
                yield Service(app=app, client=client, database_url=database_url)

    return service


def at(**delta: float) -> str:
    """Now plus `delta` (hours=, minutes=, days=) as RFC 3339 text in UTC+8."""
    moment = datetime.now(UTC) + timedelta(**delta)
    return moment.astimezone(timezone(timedelta(hours=8))).isoformat()


def event_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "周末读书会 📚",
        "kind": "salon",
        "format": "offline",
        "location": "上海 · 咖啡馆",
        "starts_at": at(days=2),
        "ends_at": at(days=2, hours=2),
        **overrides,
    }


async def published_event(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """A published event (created and published by the event officer)."""
    created = await client.post(
        f"/v1/communities/{COMMUNITY}/events",
        json=event_fields(**overrides),
        headers=actor("officer"),
    )
    assert created.status_code == 201, created.text
    published = await client.post(
        f"/v1/events/{created.json()['id']}/publish", headers=actor("officer")
    )
    assert published.status_code == 200, published.text
    body: dict[str, Any] = {**published.json(), "checkin_code": created.json()["checkin_code"]}
    return body


async def register(
    client: httpx.AsyncClient, event_id: str, user_id: str, *, by: str | None = None
) -> httpx.Response:
    return await client.post(
        f"/v1/events/{event_id}/registrations",
        json={"member_id": member_id_of(user_id)},
        headers=actor(by or user_id),
    )
