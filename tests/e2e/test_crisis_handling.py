"""Moderation and crisis handling through the gateway, on the real processes (real broker, SQLite
and PostgreSQL): a chat bot's API key checks messages and the ladder mutes on the third warning,
with `message.flagged` and `member.sanctioned` delivered to the bot's webhook; reports worked as
a case to a sanction, five reports in an hour raising scoring's report spike; a lockdown
answering joins; an incident closed only with its review; a case resolved `archive_content`
archiving the item in the content service (the author told by `content.archived`, the effect
noted on the case, time to first response and to resolution observed in members' metrics); a
falling event rating (two events rated through the events service) raising `rating_drop`,
which opens an incident by itself where the community's incident policy says so.

Bad input through the gateway: a hostile pattern → 422 `invalid-pattern`; a 10 MB message →
413; 10,000 mentions, NUL or a lone surrogate → 422; a report on a member of another community →
404 `target-not-found`; a resolution by a plain member → 403; closing an incident without its
review → 422 `review-required`; a rating threshold of 0 stars, 0 ratings, 10^30 events or a
non-number → 422 naming `rating`, the thresholds unchanged; in each case nothing is stored."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
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


def receiver_into(received: list[dict[str, Any]]) -> FastAPI:
    """A webhook receiver that keeps what it is sent, with its webhook-id (the event's id)."""
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.append({**orjson.loads(await request.body()), "id": request.headers["webhook-id"]})
        return Response(status_code=204)

    return receiver


async def subscribe(system: System, owner: str, cid: str, url: str, event_types: list[str]) -> None:
    async def subscribed() -> None:
        # The gateway answers 404 until its projection learnt of the community.
        response = await system.gateway.post(
            "/v1/webhooks",
            json={"url": f"{url}/hook", "event_types": event_types, "community_id": cid},
            headers=system.auth(owner),
        )
        assert response.status_code == 201, response.text

    await eventually(subscribed, timeout=30, interval=0.3)


async def case_metric(system: System, measure: str, kind: str) -> float:
    """The members service's count of `huoli_case_<measure>_seconds` observations of `kind`."""
    async with httpx.AsyncClient(base_url=system.stack.url("members")) as client:
        text = (await client.get("/metrics")).text
    name = f'huoli_case_{measure}_seconds_count{{kind="{kind}"}}'
    found = [line.split()[-1] for line in text.splitlines() if line.startswith(name)]
    return float(found[0]) if found else 0.0


async def test_a_case_resolved_archive_content_archives_the_item(system: System) -> None:
    owner, ann, bob = unique("owner"), unique("ann"), unique("bob")
    cid, [ann_id, bob_id] = await community_with(system, owner, ann, bob)
    base = f"/v1/communities/{cid}"
    received: list[dict[str, Any]] = []
    receiver = receiver_into(received)

    async def created() -> dict[str, Any]:
        # The content service answers 404 until its projection learnt of the community.
        response = await system.gateway.post(
            f"{base}/content",
            json={
                "kind": "article",
                "title": "内部消息",
                "body": "据说下周解散",
                "source": "member",
            },
            headers=system.auth(ann),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    item = await eventually(created, timeout=30, interval=0.3)
    content = f"/v1/content/{item['id']}"
    for path, user in (("submit", ann), ("approve", owner), ("publish", owner)):
        moved = await system.gateway.post(f"{content}/{path}", headers=system.auth(user))
        assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "published"

    async with serving(receiver) as receiver_url:
        await subscribe(system, owner, cid, receiver_url, ["content.archived", "case.resolved"])
        filed = await system.gateway.post(
            f"{base}/reports",
            json={
                "target": {"type": "content", "id": item["id"], "member_id": ann_id},
                "kind": "rumour",
                "reason": "传谣",
            },
            headers=system.auth(bob),
        )
        assert filed.status_code == 201, filed.text
        case_path = f"{base}/cases/{filed.json()['case']['id']}"
        # A member-target resolution does not apply to content; a plain member may not resolve.
        by_member = await system.gateway.post(
            f"{case_path}/resolve",
            json={"resolution": "archive_content"},
            headers=system.auth(bob),
        )
        assert by_member.status_code == 403, by_member.text
        answered_before = await case_metric(system, "first_response", "rumour")
        resolved_before = await case_metric(system, "resolution", "rumour")
        resolved = await system.gateway.post(
            f"{case_path}/resolve",
            json={"resolution": "archive_content", "note": "谣言,下架"},
            headers=system.auth(owner),
        )
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["resolution"] == "archive_content"
        answered_at = resolved.json()["first_response_at"]
        assert answered_at is not None and answered_at <= resolved.json()["resolved_at"]
        # Time to first response and to resolution, observed once each (resolving answered).
        assert await case_metric(system, "first_response", "rumour") == answered_before + 1
        assert await case_metric(system, "resolution", "rumour") == resolved_before + 1

        async def archived() -> None:
            got = await system.gateway.get(content, headers=system.auth(owner))
            assert got.json()["status"] == "archived", got.text
            case = await system.gateway.get(case_path, headers=system.auth(owner))
            effects = [n for n in case.json()["notes"] if n["kind"] == "effect"]
            assert len(effects) == 1, case.json()["notes"]
            assert item["id"] in effects[0]["text"] and ann_id in effects[0]["text"]
            types = [event["type"] for event in received]
            assert "content.archived" in types and "case.resolved" in types, types

        await eventually(archived, timeout=60, interval=0.3)
    [told] = [e["data"] for e in received if e["type"] == "content.archived"]
    assert (told["case_id"], told["author_member_id"], told["archived_by"]) == (
        filed.json()["case"]["id"],
        ann_id,
        owner,
    )
    [outcome] = [e["data"] for e in received if e["type"] == "case.resolved"]
    assert outcome["reporter_member_ids"] == [bob_id]
    # Archiving again (an editor's own archive) is refused: the item is no longer published.
    again = await system.gateway.post(f"{content}/archive", headers=system.auth(owner))
    assert again.status_code == 409, again.text


async def test_a_falling_event_rating_raises_an_alert_that_opens_an_incident(
    system: System,
) -> None:
    owner, ann, bob = unique("owner"), unique("ann"), unique("bob")
    cid, members = await community_with(system, owner, ann, bob)
    attendees = list(zip((ann, bob), members, strict=True))
    base = f"/v1/communities/{cid}"
    policy = await system.gateway.put(
        f"{base}/incident-policy", json={"auto_open_at": "low"}, headers=system.auth(owner)
    )
    assert policy.status_code == 200, policy.text

    thresholds = f"{base}/warning-thresholds"
    rating = {"min_ratings": 2, "previous_events": 3, "drop": 1.0}

    async def thresholds_set() -> None:
        put = await system.gateway.put(
            thresholds, json={"rating": rating}, headers=system.auth(owner)
        )
        assert put.status_code == 200, put.text

    await eventually(thresholds_set, timeout=30, interval=0.3)
    # Bad thresholds: 422 naming the field, nothing stored.
    for bad in ({"drop": 0}, {"min_ratings": 0}, {"previous_events": 10**30}, {"drop": "x"}):
        refused = await system.gateway.put(
            thresholds, json={"rating": {**rating, **bad}}, headers=system.auth(owner)
        )
        assert refused.status_code == 422, refused.text
        assert "rating" in refused.text
    by_member = await system.gateway.put(
        thresholds, json={"rating": rating}, headers=system.auth(ann)
    )
    assert by_member.status_code == 403, by_member.text
    shown = await system.gateway.get(thresholds, headers=system.auth(owner))
    assert shown.json()["rating"] == rating
    assert shown.json()["thresholds"]["report"] == {"at_least": 5, "times": 5.0}

    received: list[dict[str, Any]] = []
    receiver = receiver_into(received)
    now = datetime.now(UTC)
    events: list[dict[str, Any]] = []
    async with serving(receiver) as receiver_url:
        await subscribe(system, owner, cid, receiver_url, ["health.alert_raised"])
        # Two events ending an hour apart; each attended by both members.
        for hours in (2, 3):

            async def created(hours: int = hours) -> dict[str, Any]:
                response = await system.gateway.post(
                    f"{base}/events",
                    json={
                        "title": f"读书会 {hours}",
                        "kind": "themed_meetup",
                        "format": "offline",
                        "location": "上海",
                        "starts_at": (now + timedelta(minutes=10)).isoformat(),
                        "ends_at": (now + timedelta(hours=hours)).isoformat(),
                        "capacity": 10,
                    },
                    headers=system.auth(owner),
                )
                assert response.status_code == 201, response.text
                body: dict[str, Any] = response.json()
                return body

            event = await eventually(created, timeout=30, interval=0.3)
            published = await system.gateway.post(
                f"/v1/events/{event['id']}/publish", headers=system.auth(owner)
            )
            assert published.status_code == 200, published.text
            for user, member_id in attendees:

                async def registered(
                    user: str = user, member_id: str = member_id, event_id: str = event["id"]
                ) -> None:
                    response = await system.gateway.post(
                        f"/v1/events/{event_id}/registrations",
                        json={"member_id": member_id},
                        headers=system.auth(user),
                    )
                    assert response.status_code == 201, response.text

                await eventually(registered, timeout=30, interval=0.3)
                checked = await system.gateway.post(
                    f"/v1/events/{event['id']}/check-ins",
                    json={"member_id": member_id, "code": event["checkin_code"]},
                    headers=system.auth(user),
                )
                assert checked.status_code == 201, checked.text
            events.append(event)

        async def rate(event: dict[str, Any], ratings: tuple[int, int]) -> None:
            for (user, member_id), value in zip(attendees, ratings, strict=True):
                given = await system.gateway.post(
                    f"/v1/events/{event['id']}/feedback",
                    json={"member_id": member_id, "rating": value},
                    headers=system.auth(user),
                )
                assert given.status_code == 201, given.text

        # The usual level: 5.0. Then 4 and 3 (3.5, a star and a half below it) for the next.
        await rate(events[0], (5, 5))
        await rate(events[1], (4, 3))

        async def alerted() -> None:
            alerts = [e["data"] for e in received if e["type"] == "health.alert_raised"]
            assert [a["kind"] for a in alerts] == ["rating_drop"], alerts
            health = await system.gateway.get(f"{base}/health", headers=system.auth(owner))
            assert "rating_drop" in [a["kind"] for a in health.json()["alerts"]]

        await eventually(alerted, timeout=60, interval=0.3)

        async def incident_opened() -> list[dict[str, Any]]:
            listed = await system.gateway.get(f"{base}/incidents", headers=system.auth(owner))
            assert listed.status_code == 200, listed.text
            items: list[dict[str, Any]] = listed.json()["items"]
            assert len(items) == 1, items
            return items

        [incident] = await eventually(incident_opened, timeout=60, interval=0.3)
    [alert] = [e for e in received if e["type"] == "health.alert_raised"]
    data = alert["data"]
    assert (data["event_id"], data["value"], data["previous_value"]) == (events[1]["id"], 350, 500)
    assert (data["threshold"], data["ratings"], data["drop"]) == (100, 2, 1.5)
    assert (incident["kind"], incident["severity"], incident["opened_by"]) == (
        "negative_publicity",
        "low",
        "early-warning",
    )
    assert incident["alert_ids"] == [alert["id"]]
