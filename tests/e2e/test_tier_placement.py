"""Placement as the playbook has it, through the gateway on real processes: newcomers join the
tier below the core (or the entry tier the community names), invite codes may name a tier, an
owner moves a member by hand (capacity, audit, `member.tier_changed` manual), and every member
reads where they stand."""

from typing import Any

import pytest

from tests.e2e.conftest import System
from tests.support import KafkaProbe

pytestmark = pytest.mark.e2e


async def call(system: System, method: str, path: str, user: str, **kwargs: Any) -> Any:
    response = await system.gateway.request(method, path, headers=system.auth(user), **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


async def test_newcomers_earn_the_core_and_owners_move_members_by_hand(system: System) -> None:
    owner = "place-owner"
    cid = (await call(system, "POST", "/v1/communities", owner, json={"name": "分层 🪜"}))["id"]
    base = f"/v1/communities/{cid}"
    [core] = (await call(system, "GET", f"{base}/tiers", owner))["items"]
    second = await call(system, "POST", f"{base}/tiers", owner, json={"name": "二群", "rank": 2})
    repeat = await call(system, "POST", f"{base}/tiers", owner, json={"name": "留级群", "rank": 3})

    async def join(user: str, **fields: Any) -> dict[str, Any]:
        body = {"user_id": user, "display_name": user, **fields}
        joined: dict[str, Any] = await call(system, "POST", f"{base}/members", user, json=body)
        return joined

    newcomer = await join("place-new")
    assert newcomer["tier_id"] == second["id"]  # below the core, not 一群
    await call(system, "PATCH", base, owner, json={"entry_tier_id": repeat["id"]})
    assert (await join("place-later"))["tier_id"] == repeat["id"]
    code = (await call(system, "POST", f"{base}/invites", owner, json={"tier_id": core["id"]}))[
        "code"
    ]
    expert = await join("place-expert", invite_code=code)
    assert expert["tier_id"] == core["id"]

    moved = await call(
        system,
        "POST",
        f"{base}/members/{newcomer['id']}/tier",
        owner,
        json={"tier_id": core["id"], "reason": "邀请他加入核心群"},
    )
    assert moved["tier_id"] == core["id"]
    refused = await system.gateway.post(
        f"{base}/members/{expert['id']}/tier",
        json={"tier_id": repeat["id"], "reason": "x"},
        headers=system.auth("place-new"),
    )
    assert refused.status_code == 403, refused.text
    [change] = (await call(system, "GET", f"{base}/members/{newcomer['id']}/tier-changes", owner))[
        "items"
    ]
    assert (change["from_tier_id"], change["to_tier_id"], change["changed_by"]) == (
        second["id"],
        core["id"],
        "place-owner",
    )
    async with KafkaProbe(system.stack.bootstrap_servers) as probe:
        [event] = await probe.events(
            "huoli.members",
            type="member.tier_changed",
            where=lambda e: e["data"]["member_id"] == newcomer["id"],
            timeout=30,
        )
    assert (event["data"]["reason"], event["data"]["note"]) == ("manual", "邀请他加入核心群")

    # Where each stands: the playbook's defaults demote the 10 least engaged of the whole
    # community outside 留级群, and nobody has scored yet.
    standing = await call(system, "GET", f"/v1/me/communities/{cid}/standing", "place-new")
    assert (standing["tier_id"], standing["tier_name"], standing["points"]) == (
        core["id"],
        core["name"],
        0.0,
    )
    assert standing["period"]["kind"] == "half_month"
    # Moved up by hand a moment ago: no demotion within 14 days of a promotion.
    assert standing["zone"] == "safe"
    zones = {
        user: (await call(system, "GET", f"/v1/me/communities/{cid}/standing", user))["zone"]
        for user in ("place-expert", "place-later")
    }
    # The expert joined 一群 by invitation, nothing scored: at risk; 留级群 is the bottom.
    assert zones == {"place-expert": "at_risk", "place-later": "safe"}
    stranger = await system.gateway.get(
        f"/v1/me/communities/{cid}/standing", headers=system.auth("place-stranger")
    )
    assert stranger.status_code == 404
