"""Moderation and crisis handling through the gateway, on the real processes (real broker, SQLite
and PostgreSQL): a chat bot's API key checks messages and the ladder mutes on the third warning,
with `message.flagged` and `member.sanctioned` delivered to the bot's webhook; reports worked as
a case to a sanction, five reports in an hour raising scoring's report spike; a lockdown
answering joins; an incident closed only with its review.

Bad input through the gateway: a hostile pattern → 422 `invalid-pattern`; a 10 MB message →
413; 10,000 mentions, NUL or a lone surrogate → 422; a report on a member of another community →
404 `target-not-found`; a resolution by a plain member → 403; closing an incident without its
review → 422 `review-required`; in each case nothing is stored."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI, Request, Response

from tests.e2e.conftest import System
from tests.e2e.test_access_matrix import make_key
from tests.gateway.fakes import serving
from tests.support import eventually

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def community_with(system: System, owner: str, *members: str) -> tuple[str, list[str]]:
    created = await system.gateway.post(
        "/v1/communities", json={"name": "防骚扰群"}, headers=system.auth(owner)
    )
    assert created.status_code == 201, created.text
    cid: str = created.json()["id"]
    ids = []
    for user in members:
        joined = await system.gateway.post(
            f"/v1/communities/{cid}/members",
            json={"user_id": user, "display_name": user},
            headers=system.auth(user),
        )
        assert joined.status_code == 201, joined.text
        ids.append(joined.json()["id"])
    return cid, ids


def chat(member_id: str, text: str, **more: Any) -> dict[str, Any]:
    return {
        "message_id": unique("wx"),
        "member_id": member_id,
        "text": text,
        "sent_at": datetime.now(UTC).isoformat(),
        **more,
    }


async def test_a_chat_bot_checks_messages_and_hears_the_verdicts(system: System) -> None:
    owner, spammer = unique("owner"), unique("spammer")
    cid, [member_id] = await community_with(system, owner, spammer)
    rules = f"/v1/communities/{cid}/moderation/rules"
    hostile = await system.gateway.put(
        rules,
        json={"patterns": [{"name": "bad", "pattern": r"(\w+)\1"}]},
        headers=system.auth(owner),
    )
    assert hostile.status_code == 422, hostile.text
    assert hostile.json()["type"].endswith("invalid-pattern")
    put = await system.gateway.put(
        rules,
        json={
            "quiet_hours": 0,
            "flood": {"messages": 1000, "seconds": 1},  # the batch below is no flood here
            "patterns": [{"name": "evil", "pattern": "(a+)+$"}],
        },
        headers=system.auth(owner),
    )
    assert put.status_code == 200, put.text
    key = {"X-API-Key": await make_key(system, owner, cid, ["moderation:check"])}

    received: list[dict[str, Any]] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.append(orjson.loads(await request.body()))
        return Response(status_code=204)

    check = f"/v1/communities/{cid}/moderation/check"
    async with serving(receiver) as receiver_url:
        subscribed = await system.gateway.post(
            "/v1/webhooks",
            json={
                "url": f"{receiver_url}/hook",
                "event_types": ["message.flagged", "member.sanctioned"],
                "community_id": cid,
            },
            headers=system.auth(owner),
        )
        assert subscribed.status_code == 201, subscribed.text

        # Bad messages: refused whole, nothing checked.
        huge = await system.gateway.post(check, json=chat(member_id, "x" * 10_000_000), headers=key)
        assert huge.status_code == 413, huge.text
        for bad in (
            chat(member_id, "hi", mentions=["m"] * 10_000),
            chat(member_id, "a\u0000b"),
        ):
            refused = await system.gateway.post(check, json=bad, headers=key)
            assert refused.status_code == 422, refused.text
        lone = json.dumps(chat(member_id, "a\ud800b"))
        surrogate = await system.gateway.post(
            check, content=lone, headers={**key, "content-type": "application/json"}
        )
        assert surrogate.status_code == 422, surrogate.text

        verdicts = []
        for text in ("傻逼", "加 微 信 领取", "you idiot"):
            response = await system.gateway.post(check, json=chat(member_id, text), headers=key)
            assert response.status_code == 200, response.text
            verdicts.append(response.json())
        assert [v["action"] for v in verdicts] == ["warn", "warn", "warn"]
        batch = [chat(member_id, "a" * 4000 + "!") for _ in range(100)]
        checked = await system.gateway.post(check, json={"messages": batch}, headers=key)
        assert checked.status_code == 200, checked.text
        assert [v["action"] for v in checked.json()["verdicts"]] == ["allow"] * 100
        member = await system.gateway.get(
            f"/v1/communities/{cid}/members/{member_id}", headers=system.auth(owner)
        )
        assert member.json()["status"] == "muted"

        async def delivered() -> None:
            types = [event["type"] for event in received]
            assert types.count("message.flagged") == 3, types
            assert types.count("member.sanctioned") == 4, types

        await eventually(delivered, timeout=60, interval=0.3)
    flagged = [event["data"] for event in received if event["type"] == "message.flagged"]
    assert {item["message_id"] for item in flagged} == {v["message_id"] for v in verdicts}
    sanctioned = [event["data"] for event in received if event["type"] == "member.sanctioned"]
    assert sorted(item["kind"] for item in sanctioned) == ["mute", "warn", "warn", "warn"]


async def test_reports_lockdown_and_incidents_through_the_gateway(system: System) -> None:
    owner, ann, bob = unique("owner"), unique("ann"), unique("bob")
    cid, [ann_id, bob_id] = await community_with(system, owner, ann, bob)
    _, [stranger_id] = await community_with(system, unique("other"), unique("zed"))
    base = f"/v1/communities/{cid}"

    elsewhere = await system.gateway.post(
        f"{base}/reports",
        json={"target": {"type": "member", "id": stranger_id}, "kind": "abuse", "reason": "x"},
        headers=system.auth(ann),
    )
    assert elsewhere.status_code == 404, elsewhere.text
    assert elsewhere.json()["type"].endswith("target-not-found")
    filed = await system.gateway.post(
        f"{base}/reports",
        json={"target": {"type": "member", "id": bob_id}, "kind": "dispute", "reason": "吵架"},
        headers=system.auth(ann),
    )
    assert filed.status_code == 201, filed.text
    case = filed.json()["case"]
    assert case["parties"] == sorted([ann_id, bob_id])
    resolve = f"{base}/cases/{case['id']}/resolve"
    by_member = await system.gateway.post(
        resolve, json={"resolution": "warn"}, headers=system.auth(ann)
    )
    assert by_member.status_code == 403, by_member.text
    resolved = await system.gateway.post(
        resolve, json={"resolution": "warn", "note": "调解后警告"}, headers=system.auth(owner)
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["sanction_id"]

    # Four more reports make five in the hour: scoring's early warning raises a report spike.
    for n in range(4):
        more = await system.gateway.post(
            f"{base}/reports",
            json={"target": {"type": "content", "id": f"cnt_{n}"}, "kind": "spam", "reason": "x"},
            headers=system.auth(ann),
        )
        assert more.status_code == 201, more.text

    async def spike_listed() -> None:
        health = await system.gateway.get(f"{base}/health", headers=system.auth(owner))
        assert health.status_code == 200, health.text
        assert "report_spike" in [alert["kind"] for alert in health.json()["alerts"]]

    await eventually(spike_listed, timeout=60, interval=0.5)

    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    locked = await system.gateway.post(
        f"{base}/lockdown", json={"until": until, "joins": "closed"}, headers=system.auth(owner)
    )
    assert locked.status_code == 201, locked.text
    raider = unique("raider")
    refused = await system.gateway.post(
        f"{base}/members",
        json={"user_id": raider, "display_name": "r"},
        headers=system.auth(raider),
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"].endswith("community-locked-down")
    lifted = await system.gateway.delete(f"{base}/lockdown", headers=system.auth(owner))
    assert lifted.status_code == 204, lifted.text
    joined = await system.gateway.post(
        f"{base}/members",
        json={"user_id": raider, "display_name": "r"},
        headers=system.auth(raider),
    )
    assert joined.status_code == 201, joined.text

    opened = await system.gateway.post(
        f"{base}/incidents",
        json={"kind": "attack", "severity": "high", "summary": "刷屏"},
        headers=system.auth(owner),
    )
    assert opened.status_code == 201, opened.text
    incident = f"{base}/incidents/{opened.json()['id']}"
    for status in ("mitigating", "resolved"):
        moved = await system.gateway.patch(
            incident, json={"status": status}, headers=system.auth(owner)
        )
        assert moved.status_code == 200, moved.text
    unreviewed = await system.gateway.patch(
        incident, json={"status": "reviewed"}, headers=system.auth(owner)
    )
    assert unreviewed.status_code == 422, unreviewed.text
    assert unreviewed.json()["type"].endswith("review-required")
    review = {"cause": "广告号", "actions": "封群", "lessons": "审核"}
    closed = await system.gateway.patch(
        incident, json={"status": "reviewed", "review": review}, headers=system.auth(owner)
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["review"] == review
