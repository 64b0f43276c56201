"""Approval, roles and removal through the gateway, followed by the other services' membership
projections (eventually: they learn of it through the broker). The tier policy end to end: 30
members over 3 tiers, their activity ingested through the gateway (POST /v1/activities →
scoring's ledger → engagement.credited → the members' credited days), a dry run, a real run,
the events on huoli.members, and a second run in the same period that changes nothing. Tiers
and invites through the gateway."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import System
from tests.e2e.test_access_matrix import EVENT
from tests.support import KafkaProbe, eventually

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


async def test_thirty_members_three_tiers_one_run_per_period(system: System) -> None:
    gateway, owner = system.gateway, system.auth("tp-owner")
    created = await gateway.post("/v1/communities", json={"name": "升级群 🚀"}, headers=owner)
    cid = created.json()["id"]
    base = f"/v1/communities/{cid}"
    [first] = [
        tier["id"] for tier in (await gateway.get(f"{base}/tiers", headers=owner)).json()["items"]
    ]
    second, third = [
        (
            await gateway.post(f"{base}/tiers", json={"name": name, "rank": rank}, headers=owner)
        ).json()["id"]
        for name, rank in (("二群", 2), ("留级群", 3))
    ]
    # 10 per tier, the owner among the first ten; each member's activity count is its number.
    ids: dict[str, str] = {}
    layout = [(f"a{n}", first) for n in range(1, 10)] + [
        (f"{letter}{n}", tier) for letter, tier in (("b", second), ("c", third)) for n in range(10)
    ]
    for user, tier in layout:
        joined = await gateway.post(
            f"{base}/members",
            json={"user_id": f"tp-{user}", "display_name": f"成员 {user}", "tier_id": tier},
            headers=owner,
        )
        assert joined.status_code == 201, joined.text
        ids[user] = joined.json()["id"]
    # A minute apart: scoring's cooldown credits a message at most once a minute. (Within the
    # current half-month unless the test runs in a period's first quarter hour.)
    start = datetime.now(UTC) - timedelta(minutes=15)
    activities = [
        {
            "id": f"tp-{uuid.uuid4().hex}",
            "community_id": cid,
            "member_id": ids[user],
            "type": "message",
            "occurred_at": (start + timedelta(seconds=61 * k)).isoformat(),
        }
        for user, _tier in layout
        for k in range(int(user[1:]) + (1 if user[0] != "a" else 0))
    ]

    async def ingested() -> None:
        # Scoring takes a member once the membership reached it; ids make a retry harmless.
        response = await gateway.post("/v1/activities", json=activities, headers=owner)
        assert response.status_code == 202, response.text
        assert response.json()["rejected"] == [], response.json()["rejected"][:3]

    await eventually(ingested, timeout=60)

    async def projected() -> None:
        listed = await gateway.get(f"{base}/members", params={"limit": 50}, headers=owner)
        seen = {m["id"] for m in listed.json()["items"] if m["last_active_at"] is not None}
        assert seen == set(ids.values())

    await eventually(projected, timeout=60)

    policy = await gateway.put(
        f"{base}/tier-policy",
        json={
            "promote_top": 2,
            "demote_bottom": 2,
            "demote_scope": "tier",
            "demote_to": "next_lower",
            "scheduled": False,
        },
        headers=owner,
    )
    assert policy.status_code == 200, policy.text
    expected = {
        (ids["b9"], second, first, "promoted", 10.0),
        (ids["b8"], second, first, "promoted", 9.0),
        (ids["c9"], third, second, "promoted", 10.0),
        (ids["c8"], third, second, "promoted", 9.0),
        (ids["a1"], first, second, "demoted", 1.0),
        (ids["a2"], first, second, "demoted", 2.0),
        (ids["b0"], second, third, "demoted", 1.0),
        (ids["b1"], second, third, "demoted", 2.0),
    }

    async def run(dry_run: bool) -> Any:
        response = await gateway.post(
            f"{base}/tier-policy/run",
            json={"dry_run": dry_run, "window": "current"},
            headers=owner,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        moves = {
            (m["member_id"], m["from_tier_id"], m["to_tier_id"], m["reason"], m["score"])
            for m in body["moves"]
        }
        return moves, body

    async def planned() -> None:
        # The dry run changes nothing, so it can be asked until the projection holds every
        # activity (their consumers run at their own pace).
        assert (await run(dry_run=True))[0] == expected

    await eventually(planned, timeout=60)
    moves, real = await run(dry_run=False)
    assert (moves, real["purged"]) == (expected, [])
    second_run, body = await run(dry_run=False)
    assert (second_run, body["purged"], sorted(body["already_ran"])) == (
        set(),
        [],
        ["demote", "promote", "purge"],
    )

    listed = (await gateway.get(f"{base}/members", params={"limit": 50}, headers=owner)).json()
    tier_of = {m["id"]: m["tier_id"] for m in listed["items"]}
    assert {(m[0], m[2]) for m in expected} <= set(tier_of.items())
    counts = {
        t["id"]: t["member_count"]
        for t in (await gateway.get(f"{base}/tiers", headers=owner)).json()["items"]
    }
    assert counts == {first: 10, second: 10, third: 10}

    async with KafkaProbe(system.stack.bootstrap_servers) as probe:
        changed = await probe.events(
            "huoli.members",
            type="member.tier_changed",
            count=len(expected),
            where=lambda e: e["communityid"] == cid,
        )
    assert {
        (
            e["data"]["member_id"],
            e["data"]["from_tier_id"],
            e["data"]["to_tier_id"],
            e["data"]["reason"],
            e["data"]["score"],
        )
        for e in changed
    } == expected


async def test_tiers_and_invites_through_the_gateway(system: System) -> None:
    gateway, owner = system.gateway, system.auth("ti-owner")
    created = await gateway.post(
        "/v1/communities", json={"name": "邀请制 🔑", "join_policy": "invite_only"}, headers=owner
    )
    cid = created.json()["id"]
    base = f"/v1/communities/{cid}"
    tier = await gateway.post(
        f"{base}/tiers", json={"name": "二群", "rank": 2, "capacity": 1}, headers=owner
    )
    assert tier.status_code == 201, tier.text
    [first] = [
        t
        for t in (await gateway.get(f"{base}/tiers", headers=owner)).json()["items"]
        if t["rank"] == 1
    ]
    resized = await gateway.patch(
        f"{base}/tiers/{first['id']}", json={"capacity": 1}, headers=owner
    )
    assert resized.json()["capacity"] == 1  # the owner fills it

    invite = await gateway.post(f"{base}/invites", json={"max_uses": 1}, headers=owner)
    assert invite.status_code == 201, invite.text
    code = invite.json()["code"]
    refused = await gateway.post(
        f"{base}/members",
        json={"user_id": "ti-x", "display_name": "X"},
        headers=system.auth("ti-x"),
    )
    assert (refused.status_code, refused.json()["type"].rsplit("/", 1)[-1]) == (
        403,
        "invite-required",
    )
    joined = await gateway.post(
        f"{base}/members",
        json={"user_id": "ti-y", "display_name": "Y", "invite_code": code},
        headers=system.auth("ti-y"),
    )
    assert joined.status_code == 201, joined.text
    assert (joined.json()["tier_id"], joined.json()["status"]) == (tier.json()["id"], "active")
    assert joined.json()["invited_by"] is not None
    used_up = await gateway.post(
        f"{base}/members",
        json={"user_id": "ti-z", "display_name": "Z", "invite_code": code},
        headers=system.auth("ti-z"),
    )
    assert (used_up.status_code, used_up.json()["type"].rsplit("/", 1)[-1]) == (
        403,
        "invite-used-up",
    )
    # A plain member may neither make invites nor tiers.
    member = system.auth("ti-y")
    assert (await gateway.post(f"{base}/invites", json={}, headers=member)).status_code == 403
    assert (
        await gateway.post(f"{base}/tiers", json={"name": "三群", "rank": 3}, headers=member)
    ).status_code == 403

    async def referral_counted() -> None:
        owner_row = (
            await gateway.get(f"{base}/members", params={"user_id": "ti-owner"}, headers=owner)
        ).json()["items"][0]
        assert owner_row["referral_count"] == 1

    await eventually(referral_counted)


async def test_erasure_reaches_every_service_and_keeps_the_counts(system: System) -> None:
    """A user's personal data erased through the gateway: afterwards no service answers with
    their name, the content and the registration they left are still counted, and they have
    left the community and its leaderboard."""
    owner, user = system.auth("owner"), f"eve-{uuid.uuid4().hex[:6]}"
    name = "夏娃 Eve 🍎"
    created = await system.gateway.post("/v1/communities", json={"name": "擦除测试"}, headers=owner)
    cid = created.json()["id"]
    joined = await system.gateway.post(
        f"/v1/communities/{cid}/members",
        json={"user_id": user, "display_name": name},
        headers=system.auth(user),
    )
    assert joined.status_code == 201, joined.text
    mid = joined.json()["id"]

    async def everyone_knows_her() -> tuple[str, str]:
        story = await system.gateway.post(
            f"/v1/communities/{cid}/content",
            json={"kind": "user_story", "title": "我的故事", "body": "你好", "source": "member"},
            headers=system.auth(user),
        )
        assert story.status_code == 201, story.text
        # The events service must know her too before she registers (its projection may
        # trail content's).
        events = await system.gateway.get(
            f"/v1/communities/{cid}/events", headers=system.auth(user)
        )
        assert events.status_code == 200, events.text
        event = await system.gateway.post(
            f"/v1/communities/{cid}/events", json=EVENT, headers=owner
        )
        assert event.status_code == 201, event.text
        return story.json()["id"], event.json()["id"]

    content_id, event_id = await eventually(everyone_knows_her, timeout=30)
    published = await system.gateway.post(f"/v1/events/{event_id}/publish", headers=owner)
    assert published.status_code == 200, published.text
    registered = await system.gateway.post(
        f"/v1/events/{event_id}/registrations", json={"member_id": mid}, headers=system.auth(user)
    )
    assert registered.status_code == 201, registered.text
    activity = {
        "id": f"erase-{mid}",
        "community_id": cid,
        "member_id": mid,
        "type": "message",
        "occurred_at": datetime.now(UTC).isoformat(),
    }

    async def scored() -> None:
        posted = await system.gateway.post("/v1/activities", json=[activity], headers=owner)
        assert posted.json()["accepted"] + posted.json()["duplicates"] == 1, posted.text
        board = await system.gateway.get(
            f"/v1/communities/{cid}/leaderboard", params={"period": "all"}, headers=owner
        )
        assert [item["display_name"] for item in board.json()["items"]] == [name]

    await eventually(scored, timeout=30)

    erased = await system.gateway.delete(
        f"/v1/users/{user}/personal-data", headers=system.auth(user)
    )
    assert erased.status_code == 202, erased.text

    reads = {
        "member": f"/v1/communities/{cid}/members/{mid}",
        "members": f"/v1/communities/{cid}/members",
        "content": f"/v1/content/{content_id}",
        "registrations": f"/v1/events/{event_id}/registrations",
        "leaderboard": f"/v1/communities/{cid}/leaderboard?period=all",
        "engagement": f"/v1/communities/{cid}/members/{mid}/engagement",
    }

    async def forgotten_everywhere() -> dict[str, Any]:
        answers = {}
        for what, path in reads.items():
            response = await system.gateway.get(path, headers=owner)
            assert response.status_code == 200, (what, response.text)
            assert "夏娃" not in response.text and user not in response.text, (what, response.text)
            answers[what] = response.json()
        # Two of scoring's consumers follow the erasure: the membership projection renames her,
        # the ledger takes her off the boards; either may come first.
        assert answers["leaderboard"]["items"] == [], answers["leaderboard"]
        return answers

    answers = await eventually(forgotten_everywhere, timeout=60)
    # What she left is still counted: her story, her seat; but erasure ended her membership,
    # so she stands on no leaderboard (issue 21: no anonymous ghost at the top).
    assert answers["content"]["id"] == content_id
    assert len(answers["registrations"]["items"]) == 1
    assert answers["leaderboard"]["items"] == []
    assert answers["member"]["status"] == "left"
    report = await system.gateway.get(f"/v1/events/{event_id}/report", headers=owner)
    assert report.json()["registered"] == 1, report.text
