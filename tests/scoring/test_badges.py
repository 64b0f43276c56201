"""Badges operators define, on SQLite and PostgreSQL: defined beside the six built-in ones,
awarded by hand once per member, revoked; and how each kind of bad input is answered."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.common.components import SCORING
from services.common.events.envelope import CloudEvent
from services.scoring.tables import membership, messaging
from tests.support import actor, assert_problem, seed_membership, service_client

ADMIN, ALICE = "staff", "alice"


class Running:
    app: FastAPI | None = None


async def remember(app: FastAPI) -> None:
    Running.app = app


api = service_client(SCORING, prepare=remember, run_consumers=False)


async def community() -> str:
    assert Running.app is not None
    cid = f"cmty_{uuid.uuid4().hex[:20]}"
    await seed_membership(Running.app, membership, cid, {ADMIN: "admin", ALICE: "member"})
    return cid


async def outbox_events(event_type: str, cid: str) -> list[dict[str, Any]]:
    assert Running.app is not None
    async with Running.app.state.runtime.read_sessions() as session:
        table = messaging.outbox
        rows = (await session.execute(select(table.c.payload).order_by(table.c.seq))).scalars()
        found = [CloudEvent.model_validate_json(payload) for payload in rows.all()]
    return [e.data for e in found if e.type == event_type and e.data["community_id"] == cid]


async def badges_of(api: httpx.AsyncClient, cid: str) -> list[str]:
    response = await api.get(
        f"/v1/communities/{cid}/members/m-{ALICE}/engagement", headers=actor(ALICE)
    )
    assert response.status_code == 200, response.text
    held: list[str] = response.json()["badges"]
    return held


async def test_operators_define_award_and_revoke_a_badge(api: httpx.AsyncClient) -> None:
    cid = await community()
    body = {"name": "共建者", "description": "Built it with us", "image_url": "https://x.cn/b.png"}
    refused = await api.post(f"/v1/communities/{cid}/badges", json=body, headers=actor(ALICE))
    assert_problem(refused, 403)
    created = await api.post(f"/v1/communities/{cid}/badges", json=body, headers=actor(ADMIN))
    assert created.status_code == 201, created.text
    badge = created.json()
    assert (badge["name"], badge["image_url"], badge["built_in"]) == (
        "共建者",
        "https://x.cn/b.png",
        False,
    )
    listed = (await api.get(f"/v1/communities/{cid}/badges", headers=actor(ALICE))).json()
    assert [item["id"] for item in listed["items"]] == [
        "first_event",
        "streak_7",
        "messages_100",
        "first_ugc",
        "invites_5",
        "weekly_top3",
        badge["id"],
    ]

    url = f"/v1/communities/{cid}/members/m-{ALICE}/badges/{badge['id']}"
    assert_problem(await api.put(url, headers=actor(ALICE)), 403)
    first = await api.put(url, headers=actor(ADMIN))
    again = await api.put(url, headers=actor(ADMIN))
    assert first.status_code == again.status_code == 200, first.text
    assert (first.json()["newly_awarded"], again.json()["newly_awarded"]) == (True, False)
    assert again.json()["awarded_at"] == first.json()["awarded_at"]
    assert await badges_of(api, cid) == [badge["id"]]
    awarded = await outbox_events("badge.awarded", cid)
    assert [(e["badge"], e["awarded_by"]) for e in awarded] == [(badge["id"], ADMIN)]

    assert_problem(await api.delete(url, headers=actor(ALICE)), 403)
    assert (await api.delete(url, headers=actor(ADMIN))).status_code == 204
    gone = assert_problem(await api.delete(url, headers=actor(ADMIN)), 404)
    assert gone["type"].endswith("badge-award-not-found")
    assert await badges_of(api, cid) == []
    revoked = await outbox_events("badge.revoked", cid)
    assert [(e["badge"], e["revoked_by"]) for e in revoked] == [(badge["id"], ADMIN)]


async def test_awarding_what_cannot_be_awarded_is_refused(api: httpx.AsyncClient) -> None:
    cid = await community()
    other = await community()
    created = await api.post(
        f"/v1/communities/{other}/badges", json={"name": "Elsewhere"}, headers=actor(ADMIN)
    )
    member = f"/v1/communities/{cid}/members/m-{ALICE}/badges"
    built_in = assert_problem(await api.put(f"{member}/first_event", headers=actor(ADMIN)), 409)
    assert built_in["type"].endswith("badge-built-in")
    # Another community's badge is one this community does not have.
    foreign = await api.put(f"{member}/{created.json()['id']}", headers=actor(ADMIN))
    assert assert_problem(foreign, 404, field="badge_id")["type"].endswith("badge-not-found")
    mine = await api.post(f"/v1/communities/{cid}/badges", json={"name": "M"}, headers=actor(ADMIN))
    nobody = f"/v1/communities/{cid}/members/m-nobody/badges/{mine.json()['id']}"
    assert assert_problem(await api.put(nobody, headers=actor(ADMIN)), 404)["type"].endswith(
        "member-not-found"
    )
    assert await outbox_events("badge.awarded", cid) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"name": "x", "image_url": "ftp://x.cn/b.png"}, "image_url"),
        ({"name": "x", "image_url": "not a url"}, "image_url"),
        ({"name": "x", "image_url": "https://x.cn/" + "a" * 1990}, "image_url"),
        ({"name": "x", "description": "d" * 501}, "description"),
        ({"name": "x", "colour": "gold"}, "colour"),
    ],
)
async def test_a_malformed_badge_is_refused_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    cid = await community()
    answer = await api.post(f"/v1/communities/{cid}/badges", json=body, headers=actor(ADMIN))
    assert_problem(answer, 422, field=field)
