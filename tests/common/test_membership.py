"""The membership projection: the members service announces communities and members, and the
content service (standing for every service that mounts the projection) learns of them across
the real broker and admits callers by them."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.common.events.catalogue.scoring import CreditedDay
from services.common.events.envelope import utc_now
from services.common.membership.repository import change_membership
from services.content.app import create_app as create_content_app
from services.content.settings import ContentSettings
from services.content.tables import membership
from services.members.app import create_app as create_members_app
from services.members.credited import repository as credited
from services.members.settings import MembersSettings
from tests.support import actor, assert_problem, eventually, running_service

# A new consumer group on the session's embedded broker may wait out an older one's session.
CONSUMER_TIMEOUT = 60.0
DRAFT = {"kind": "article", "title": "Hello", "body": "Hi all", "source": "member"}


@dataclass
class Pair:
    members: httpx.AsyncClient
    content: httpx.AsyncClient
    content_app: FastAPI
    members_app: FastAPI


@pytest.fixture
async def pair(tmp_path: Path, broker: str) -> AsyncIterator[Pair]:
    def database(name: str) -> str:
        return f"sqlite+aiosqlite:///{tmp_path / name}.db"

    members_app = create_members_app(
        MembersSettings(
            database_url=database("members"), kafka_bootstrap_servers=broker, environment="test"
        )
    )
    content_app = create_content_app(
        ContentSettings(
            database_url=database("content"), kafka_bootstrap_servers=broker, environment="test"
        )
    )
    async with running_service(members_app) as members, running_service(content_app) as content:
        yield Pair(
            members=members, content=content, content_app=content_app, members_app=members_app
        )


async def test_a_new_community_and_its_members_reach_the_projection(pair: Pair) -> None:
    created = await pair.members.post(
        "/v1/communities", json={"name": "Projection club"}, headers=actor("olga")
    )
    cid = created.json()["id"]
    joined = await pair.members.post(
        f"/v1/communities/{cid}/members",
        json={"user_id": "bob", "display_name": "Bob"},
        headers=actor("bob"),
    )
    path = f"/v1/communities/{cid}/content"

    async def bob_is_known() -> None:
        response = await pair.content.post(path, json=DRAFT, headers=actor("bob"))
        assert response.status_code == 201, response.text

    # Eventually consistent: the owner's and bob's member.joined must cross the broker first.
    await eventually(bob_is_known, timeout=CONSUMER_TIMEOUT)
    assert (await pair.content.get(path, headers=actor("olga"))).status_code == 200
    assert_problem(await pair.content.get(path, headers=actor("mallory")), 404)

    # Later changes (left, removed, ...) come down to change_membership: bob is out.
    async with pair.content_app.state.runtime.sessions() as session:
        await change_membership(
            session, membership, community_id=cid, member_id=joined.json()["id"], status="left"
        )
        await session.commit()
    assert_problem(await pair.content.get(path, headers=actor("bob")), 404)
    assert (await pair.content.get(path, headers=actor("olga"))).status_code == 200


async def test_approval_transfer_and_leaving_reach_the_projection(pair: Pair) -> None:
    created = await pair.members.post(
        "/v1/communities",
        json={"name": "Approval club", "join_policy": "approval"},
        headers=actor("olga"),
    )
    cid = created.json()["id"]
    members = f"/v1/communities/{cid}/members"
    bob = (
        await pair.members.post(
            members, json={"user_id": "bob", "display_name": "Bob"}, headers=actor("bob")
        )
    ).json()["id"]
    await pair.members.post(f"{members}/{bob}/approve", headers=actor("olga"))
    await pair.members.put(f"{members}/{bob}/role", json={"role": "owner"}, headers=actor("olga"))
    olga = await pair.members.get(members, params={"user_id": "olga"}, headers=actor("bob"))
    left = await pair.members.delete(
        f"{members}/{olga.json()['items'][0]['id']}", headers=actor("olga")
    )
    assert left.json()["status"] == "left"

    async def projected() -> None:
        async with pair.content_app.state.runtime.sessions() as session:
            rows = await session.execute(
                select(
                    membership.membership.c.user_id,
                    membership.membership.c.status,
                    membership.membership.c.role,
                ).where(membership.membership.c.community_id == cid)
            )
            owner = await session.scalar(
                select(membership.community.c.owner_user_id).where(membership.community.c.id == cid)
            )
        assert sorted(rows.all()) == [("bob", "active", "owner"), ("olga", "left", "admin")]
        assert owner == "bob"

    await eventually(projected, timeout=CONSUMER_TIMEOUT)
    path = f"/v1/communities/{cid}/content"
    assert (await pair.content.get(path, headers=actor("bob"))).status_code == 200
    assert_problem(await pair.content.get(path, headers=actor("olga")), 404)


async def test_tier_changes_purges_edits_and_erasure_reach_the_projection(pair: Pair) -> None:
    created = await pair.members.post(
        "/v1/communities", json={"name": "Tiers club"}, headers=actor("olga")
    )
    cid = created.json()["id"]
    members = f"/v1/communities/{cid}/members"
    [first] = (
        await pair.members.get(f"/v1/communities/{cid}/tiers", headers=actor("olga"))
    ).json()["items"]
    second = await pair.members.post(
        f"/v1/communities/{cid}/tiers", json={"name": "二群", "rank": 2}, headers=actor("olga")
    )
    ids = {}
    for user in ("bob", "cid", "dan"):
        joined = await pair.members.post(
            members,
            json={"user_id": user, "display_name": user, "tier_id": second.json()["id"]},
            headers=actor("olga"),
        )
        ids[user] = joined.json()["id"]
    # Bob is the one who did something; Cid was last seen long ago (purged).
    async with pair.members_app.state.runtime.sessions() as session:
        long_ago = utc_now() - timedelta(days=90)
        await credited.add_credited(
            session,
            community_id=cid,
            days=[
                CreditedDay(
                    member_id=ids["bob"],
                    day=utc_now().astimezone(ZoneInfo("Asia/Shanghai")).date(),
                    points=5,
                    activities=1,
                    last_activity_at=utc_now(),
                ),
                CreditedDay(
                    member_id=ids["cid"],
                    day=long_ago.date(),
                    points=0,
                    activities=1,
                    last_activity_at=long_ago,
                ),
            ],
        )
        await session.commit()
    await pair.members.put(
        f"/v1/communities/{cid}/tier-policy",
        json={"promote_top": 1, "demote_bottom": 0, "scheduled": False},
        headers=actor("olga"),
    )
    ran = await pair.members.post(
        f"/v1/communities/{cid}/tier-policy/run",
        json={"dry_run": False, "window": "current"},
        headers=actor("olga"),
    )
    assert ran.json()["purged"] == [ids["cid"]]
    renamed = await pair.members.patch(
        f"{members}/{ids['dan']}", json={"display_name": "丹 Dan 🐉"}, headers=actor("dan")
    )
    assert renamed.status_code == 200, renamed.text
    assert (
        await pair.members.delete("/v1/users/bob/personal-data", headers=actor("bob"))
    ).status_code == 202

    async def projected() -> None:
        async with pair.content_app.state.runtime.sessions() as session:
            rows = await session.execute(
                select(
                    membership.membership.c.member_id,
                    membership.membership.c.user_id,
                    membership.membership.c.display_name,
                    membership.membership.c.status,
                    membership.membership.c.tier_id,
                ).where(
                    membership.membership.c.community_id == cid,
                    membership.membership.c.role != "owner",
                )
            )
        assert sorted(rows.all()) == sorted(
            [
                # Erasure ends the membership; the row stays, anonymous.
                (ids["bob"], f"erased-{ids['bob']}", "已注销用户", "left", first["id"]),
                (ids["cid"], "cid", "cid", "removed", second.json()["id"]),
                (ids["dan"], "dan", "丹 Dan 🐉", "active", second.json()["id"]),
            ]
        )

    await eventually(projected, timeout=CONSUMER_TIMEOUT)
