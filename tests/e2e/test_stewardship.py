"""Approval, roles and removal through the gateway, followed by the other services' membership
projections (eventually: they learn of it through the broker)."""

import httpx
import pytest

from tests.e2e.conftest import System
from tests.e2e.test_access_matrix import EVENT
from tests.support import eventually

pytestmark = pytest.mark.e2e


async def answers(system: System, method: str, path: str, user: str, status: int) -> None:
    async def check() -> None:
        body = EVENT if method == "POST" else None
        response: httpx.Response = await system.gateway.request(
            method, path, json=body, headers=system.auth(user)
        )
        assert response.status_code == status, response.text

    await eventually(check, timeout=30)


async def test_the_projections_follow_approval_roles_and_removal(system: System) -> None:
    owner, carol = system.auth("owner"), system.auth("carol")
    created = await system.gateway.post(
        "/v1/communities", json={"name": "审核群", "join_policy": "approval"}, headers=owner
    )
    cid = created.json()["id"]
    members, events = f"/v1/communities/{cid}/members", f"/v1/communities/{cid}/events"
    joined = await system.gateway.post(
        members, json={"user_id": "carol", "display_name": "Carol"}, headers=carol
    )
    mid = joined.json()["id"]
    mine = await system.gateway.get("/v1/me/memberships", headers=carol)
    assert [(m["id"], m["status"]) for m in mine.json()["items"]] == [(mid, "pending")]
    assert (await system.gateway.get(events, headers=carol)).status_code == 404

    approved = await system.gateway.post(f"{members}/{mid}/approve", headers=owner)
    assert approved.status_code == 200, approved.text
    await answers(system, "GET", events, "carol", 200)
    await answers(system, "GET", f"/v1/communities/{cid}/content", "carol", 200)
    assert (await system.gateway.post(events, json=EVENT, headers=carol)).status_code == 403

    promoted = await system.gateway.put(
        f"{members}/{mid}/role", json={"role": "event_officer"}, headers=owner
    )
    assert promoted.status_code == 200, promoted.text
    await answers(system, "POST", events, "carol", 201)

    removed = await system.gateway.delete(f"{members}/{mid}", headers=owner)
    assert removed.json()["status"] == "removed"
    await answers(system, "GET", events, "carol", 404)
