"""The member journey's first steps through the gateway on the real processes (real broker,
SQLite and PostgreSQL), issue 23: versioned rules that members acknowledge (and the list of
who has not yet), the onboarding checklist whose progress scoring computes from the events that
already flow (rules acknowledged, first message, first 打卡, first event attended, first
content, a complete profile), `member.onboarded` once, the `newcomer` segment and the
onboarding metrics.

Bad input, answered with a 4xx naming the field and nothing stored: an empty, 101-character or
NUL-bearing title, a 20,001-character body, a lone surrogate → 422; an old or unknown version
acknowledged → 409 `rules-version-not-current` naming `version`; a second acknowledgement →
409; a hostile version number (0, -1, 10**30, text) → 422; an unknown or repeated step → 422
naming `steps`; a member publishing rules, setting the checklist, reading others' progress or
the pending list → 403; a stranger → 404."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from fastapi import FastAPI, Request, Response

from tests.e2e.conftest import System
from tests.gateway.fakes import serving
from tests.support import eventually

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def call(system: System, method: str, path: str, user: str, **kwargs: Any) -> Any:
    response = await system.gateway.request(method, path, headers=system.auth(user), **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


async def community_with(system: System, owner: str, *members: str) -> tuple[str, list[str]]:
    created = await call(system, "POST", "/v1/communities", owner, json={"name": "新人营 🌱"})
    cid: str = created["id"]
    ids = []
    for user in members:
        joined = await call(
            system,
            "POST",
            f"/v1/communities/{cid}/members",
            user,
            json={"user_id": user, "display_name": f"{user} 新人"},
        )
        ids.append(joined["id"])
    return cid, ids


def problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    if slug is not None:
        assert body["type"].endswith(slug), body
    return body


def fields_named(body: dict[str, Any]) -> set[str]:
    return {str(error["loc"][-1]) for error in body.get("errors", [])}


async def test_rules_are_versioned_acknowledged_and_the_laggards_listed(system: System) -> None:
    owner, alice, bob, stranger = (unique(name) for name in ("owner", "alice", "bob", "stranger"))
    cid, [alice_id, bob_id] = await community_with(system, owner, alice, bob)
    versions = f"/v1/communities/{cid}/rules/versions"
    acks = f"/v1/communities/{cid}/rules/acknowledgements"
    pending = f"/v1/communities/{cid}/rules/pending-acknowledgements"

    # Nothing published yet: nobody is pending, and no version can be acknowledged.
    assert (await call(system, "GET", pending, owner))["items"] == []
    none_yet = await system.gateway.post(acks, json={"version": 1}, headers=system.auth(alice))
    body = problem(none_yet, 409, "rules-version-not-current")
    assert (body["field"], body["current_version"]) == ("version", None)

    # Bad input: refused naming the field, nothing stored.
    bad_bodies: list[tuple[dict[str, Any], str]] = [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "  ", "body": "x"}, "title"),
        ({"title": "t" * 101, "body": "x"}, "title"),
        ({"title": "a\u0000b", "body": "x"}, "title"),
        ({"title": "t", "body": "b" * 20_001}, "body"),
        ({"title": "t"}, "body"),
        ({"title": "t", "body": "b", "version": 3}, "version"),
    ]
    for bad, field in bad_bodies:
        refused = await system.gateway.post(versions, json=bad, headers=system.auth(owner))
        assert field in fields_named(problem(refused, 422)), (bad, refused.text)
    lone = json.dumps({"title": "a\ud800b", "body": "x"})
    surrogate = await system.gateway.post(
        versions,
        content=lone,
        headers={**system.auth(owner), "content-type": "application/json"},
    )
    assert surrogate.status_code == 422, surrogate.text
    # Only owners and admins publish; strangers do not see the community at all.
    problem(
        await system.gateway.post(
            versions, json={"title": "t", "body": "b"}, headers=system.auth(alice)
        ),
        403,
    )
    problem(await system.gateway.get(versions, headers=system.auth(stranger)), 404)
    assert (await call(system, "GET", versions, alice))["items"] == []

    text = "1. 友善交流 🤝\n2. 不发广告\n" + "长" * 19_000
    first = await call(system, "POST", versions, owner, json={"title": "群规 v1 📜", "body": text})
    assert (first["version"], first["current"], first["body"]) == (1, True, text)
    assert first["published_by_member_id"] is not None
    # Readable back by any member, Chinese and emoji intact.
    assert await call(system, "GET", f"{versions}/1", alice) == first
    problem(await system.gateway.get(f"{versions}/2", headers=system.auth(alice)), 404)
    for hostile in ("0", "-1", str(10**30), "abc"):
        answer = await system.gateway.get(f"{versions}/{hostile}", headers=system.auth(alice))
        assert answer.status_code == 422, (hostile, answer.text)

    # Everyone (the owner too) has yet to acknowledge version 1.
    listed = await call(system, "GET", pending, owner)
    assert {item["member_id"] for item in listed["items"]} >= {alice_id, bob_id}
    assert all(item["last_acknowledged_version"] is None for item in listed["items"])
    problem(await system.gateway.get(pending, headers=system.auth(alice)), 403)
    problem(await system.gateway.get(pending, headers=system.auth(stranger)), 404)

    for hostile_version in (0, -1, 10**30, "one", None):
        refused = await system.gateway.post(
            acks, json={"version": hostile_version}, headers=system.auth(alice)
        )
        assert "version" in fields_named(problem(refused, 422)), refused.text
    ahead = await system.gateway.post(acks, json={"version": 2}, headers=system.auth(alice))
    assert problem(ahead, 409, "rules-version-not-current")["current_version"] == 1
    acked = await call(system, "POST", acks, alice, json={"version": 1})
    assert (acked["member_id"], acked["version"]) == (alice_id, 1)
    twice = await system.gateway.post(acks, json={"version": 1}, headers=system.auth(alice))
    problem(twice, 409, "rules-already-acknowledged")
    problem(
        await system.gateway.post(acks, json={"version": 1}, headers=system.auth(stranger)), 404
    )
    listed = await call(system, "GET", pending, owner)
    assert alice_id not in {item["member_id"] for item in listed["items"]}
    assert bob_id in {item["member_id"] for item in listed["items"]}

    # A new version: everyone is pending again, and the old one is refused naming `version`.
    second = await call(system, "POST", versions, owner, json={"title": "群规 v2", "body": "新版"})
    assert (second["version"], second["current"]) == (2, True)
    assert (await call(system, "GET", f"{versions}/1", bob))["current"] is False
    old = await system.gateway.post(acks, json={"version": 1}, headers=system.auth(bob))
    body = problem(old, 409, "rules-version-not-current")
    assert (body["field"], body["current_version"]) == ("version", 2)
    listed = await call(system, "GET", pending, owner)
    [alice_row] = [item for item in listed["items"] if item["member_id"] == alice_id]
    assert alice_row["last_acknowledged_version"] == 1
    await call(system, "POST", acks, bob, json={"version": 2})

    # Staff see every acknowledgement of a version; a member sees only their own.
    everyone = await call(system, "GET", acks, owner, params={"version": 1})
    assert [item["member_id"] for item in everyone["items"]] == [alice_id]
    assert [i["member_id"] for i in (await call(system, "GET", acks, owner))["items"]] == [bob_id]
    own = await call(system, "GET", acks, alice, params={"version": 1, "member_id": bob_id})
    assert own["items"] == []
    own = await call(system, "GET", acks, alice, params={"version": 1})
    assert [item["member_id"] for item in own["items"]] == [alice_id]

    # The versions page through, oldest first, the last one current.
    page = await call(system, "GET", versions, bob, params={"limit": 1})
    assert [item["version"] for item in page["items"]] == [1]
    rest = await call(system, "GET", versions, bob, params={"cursor": page["next_cursor"]})
    assert [(item["version"], item["current"]) for item in rest["items"]] == [(2, True)]
    assert rest["next_cursor"] is None
    problem(
        await system.gateway.get(versions, params={"cursor": "!!"}, headers=system.auth(bob)), 422
    )


async def test_the_onboarding_checklist_counts_what_members_do(system: System) -> None:
    owner, newbie, other = unique("owner"), unique("newbie"), unique("other")
    cid, [newbie_id, other_id] = await community_with(system, owner, newbie, other)
    checklist = f"/v1/communities/{cid}/onboarding/checklist"
    steps = [
        "acknowledge_rules",
        "introduce_yourself",
        "first_checkin",
        "first_event_attended",
        "first_content",
        "profile_complete",
    ]

    received: list[dict[str, Any]] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.append(orjson.loads(await request.body()))
        return Response(status_code=204)

    async with serving(receiver) as receiver_url:

        async def subscribed() -> None:
            # The gateway admits a subscription to a community once it has heard of it.
            await call(
                system,
                "POST",
                "/v1/webhooks",
                owner,
                json={
                    "url": f"{receiver_url}/hook",
                    "event_types": [
                        "member.onboarded",
                        "member.rules_acknowledged",
                        "rules.published",
                    ],
                    "community_id": cid,
                },
            )

        await eventually(subscribed, timeout=30)

        # The owner chooses the steps once scoring has heard of the community.
        async def chosen() -> dict[str, Any]:
            answer: dict[str, Any] = await call(
                system, "PUT", checklist, owner, json={"steps": steps}
            )
            return answer

        saved = await eventually(chosen, timeout=30, interval=0.3)
        assert saved["steps"] == steps and saved["updated_at"] is not None
        assert set(saved["available_steps"]) == set(steps)
        assert (await call(system, "GET", checklist, newbie))["steps"] == steps
        for bad in (
            {"steps": ["say_hello"]},
            {"steps": ["first_checkin", "first_checkin"]},
            {"steps": "first_checkin"},
            {"steps": [None]},
            {},
        ):
            refused = await system.gateway.put(checklist, json=bad, headers=system.auth(owner))
            assert "steps" in {str(e["loc"][1]) for e in problem(refused, 422)["errors"]}, bad
        problem(
            await system.gateway.put(checklist, json={"steps": []}, headers=system.auth(newbie)),
            403,
        )
        assert (await call(system, "GET", checklist, owner))["steps"] == steps

        own = f"/v1/communities/{cid}/members/{newbie_id}/onboarding"

        async def progress() -> dict[str, Any]:
            answer: dict[str, Any] = await call(system, "GET", own, newbie)
            return answer

        start = await eventually(progress, timeout=30, interval=0.3)
        assert [(s["step"], s["done"]) for s in start["steps"]] == [(s, False) for s in steps]
        assert (start["done"], start["total"], start["onboarded"]) == (0, 6, False)
        # Another member's progress is the staff's to read.
        problem(await system.gateway.get(own, headers=system.auth(other)), 403)
        assert (await call(system, "GET", own, owner))["member_id"] == newbie_id

        # 1. Rules acknowledged (members → scoring).
        versions = f"/v1/communities/{cid}/rules/versions"
        await call(system, "POST", versions, owner, json={"title": "群规", "body": "友善"})
        acks = f"/v1/communities/{cid}/rules/acknowledgements"
        await call(system, "POST", acks, newbie, json={"version": 1})
        # 2. A first message, pushed by the owner's bot.
        now = datetime.now(UTC)
        message = {
            "id": unique("msg"),
            "community_id": cid,
            "member_id": newbie_id,
            "type": "message",
            "occurred_at": now.isoformat(),
        }
        posted = await call(system, "POST", "/v1/activities", owner, json=[message])
        assert posted["rejected"] == []
        # 3. A first 打卡 (events → scoring).
        today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
        challenge = await call(
            system,
            "POST",
            f"/v1/communities/{cid}/challenges",
            owner,
            json={"title": "7 天打卡", "days": 7, "starts_on": today.isoformat()},
        )
        await call(
            system,
            "POST",
            f"/v1/challenges/{challenge['id']}/check-ins",
            newbie,
            json={"member_id": newbie_id},
        )
        # 4. A first event attended: registered, checked in with the code.
        event = await call(
            system,
            "POST",
            f"/v1/communities/{cid}/events",
            owner,
            json={
                "title": "新人见面会",
                "kind": "themed_meetup",
                "format": "online",
                "url": "https://meet.example.com/newbies",
                "starts_at": (now + timedelta(minutes=10)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            },
        )
        await call(system, "POST", f"/v1/events/{event['id']}/publish", owner)
        await call(
            system,
            "POST",
            f"/v1/events/{event['id']}/registrations",
            newbie,
            json={"member_id": newbie_id},
        )
        await call(
            system,
            "POST",
            f"/v1/events/{event['id']}/check-ins",
            newbie,
            json={"member_id": newbie_id, "code": event["checkin_code"]},
        )
        # 5. A first content item, published (content → scoring).
        item = await call(
            system,
            "POST",
            f"/v1/communities/{cid}/content",
            newbie,
            json={
                "kind": "user_story",
                "title": "我的自我介绍",
                "body": "你好 👋",
                "source": "member",
            },
        )
        await call(system, "POST", f"/v1/content/{item['id']}/submit", newbie)
        for action in ("approve", "publish"):
            await call(system, "POST", f"/v1/content/{item['id']}/{action}", owner)

        async def five_of_six() -> None:
            body = await progress()
            done = {s["step"] for s in body["steps"] if s["done"]}
            assert done == set(steps) - {"profile_complete"}, body
            assert body["onboarded"] is False

        await eventually(five_of_six, timeout=60, interval=0.5)

        # 6. A complete profile: a display name and a tag.
        await call(
            system,
            "PATCH",
            f"/v1/communities/{cid}/members/{newbie_id}",
            newbie,
            json={"tags": ["读书 📚"]},
        )

        async def onboarded() -> dict[str, Any]:
            body = await progress()
            assert (body["done"], body["onboarded"]) == (6, True), body
            return body

        done = await eventually(onboarded, timeout=60, interval=0.5)
        assert done["onboarded_at"] == max(s["done_at"] for s in done["steps"])

        # Staff list progress, filtered by whether members are onboarded.
        progress_list = f"/v1/communities/{cid}/onboarding/progress"
        yes = await call(system, "GET", progress_list, owner, params={"onboarded": "true"})
        assert [item["member_id"] for item in yes["items"]] == [newbie_id]
        no = await call(system, "GET", progress_list, owner, params={"onboarded": "false"})
        assert other_id in {item["member_id"] for item in no["items"]}
        assert newbie_id not in {item["member_id"] for item in no["items"]}
        problem(await system.gateway.get(progress_list, headers=system.auth(newbie)), 403)
        refused = await system.gateway.get(
            progress_list, params={"onboarded": "maybe"}, headers=system.auth(owner)
        )
        assert "onboarded" in fields_named(problem(refused, 422))

        # Choosing the steps again (fewer of them) onboards nobody twice, and completes the
        # other member's shorter checklist at once once they have acknowledged the rules.
        await call(system, "POST", acks, other, json={"version": 1})

        async def other_acknowledged() -> None:
            body = await call(
                system, "GET", f"/v1/communities/{cid}/members/{other_id}/onboarding", owner
            )
            acknowledged = {s["step"]: s["done"] for s in body["steps"]}["acknowledge_rules"]
            assert acknowledged is True, body

        await eventually(other_acknowledged, timeout=60, interval=0.5)
        await call(system, "PUT", checklist, owner, json={"steps": ["acknowledge_rules"]})
        again = await call(
            system, "GET", f"/v1/communities/{cid}/members/{other_id}/onboarding", owner
        )
        assert (again["onboarded"], again["total"]) == (True, 1)

        async def announced() -> None:
            types = [event["type"] for event in received]
            onboarded_ids = [
                event["data"]["member_id"]
                for event in received
                if event["type"] == "member.onboarded"
            ]
            assert sorted(onboarded_ids) == sorted([newbie_id, other_id]), types
            assert types.count("member.rules_acknowledged") == 2, types
            assert types.count("rules.published") == 1, types

        await eventually(announced, timeout=60, interval=0.5)
        [newbie_event] = [
            event
            for event in received
            if event["type"] == "member.onboarded" and event["data"]["member_id"] == newbie_id
        ]
        assert newbie_event["data"]["steps"] == steps

    # The metrics: of the members who joined today, 2 of 3 are onboarded (the owner is not);
    # nobody's week 2 is over yet, so there is no retention to compare.
    metrics = await call(system, "GET", f"/v1/communities/{cid}/metrics", owner)
    block = metrics["onboarding"]
    assert block["checklist"] == ["acknowledge_rules"]
    assert (block["joined"], block["onboarded"], block["completion_rate"]) == (3, 2, 0.6667)
    assert block["retention_measured"] == 0
    assert block["week1_retention_onboarded"] is None


async def test_newcomers_are_a_segment_for_their_first_two_weeks(system: System) -> None:
    owner, newbie = unique("owner"), unique("newbie")
    cid, [newbie_id] = await community_with(system, owner, newbie)
    burst = [
        {
            "id": unique("act"),
            "community_id": cid,
            "member_id": newbie_id,
            "type": "share",
            "occurred_at": datetime.now(UTC).isoformat(),
        }
    ]

    async def posted() -> None:
        answer = await call(system, "POST", "/v1/activities", owner, json=burst)
        assert answer["accepted"] + answer["duplicates"] == 1, answer

    await eventually(posted, timeout=30, interval=0.3)

    async def newcomer_everywhere() -> None:
        # Scoring's own list, the members service's filter, and the engagement read agree.
        listed = await call(
            system, "GET", f"/v1/communities/{cid}/segments/newcomer/members", owner
        )
        assert newbie_id in {item["member_id"] for item in listed["items"]}, listed
        filtered = await call(
            system, "GET", f"/v1/communities/{cid}/members", owner, params={"segment": "newcomer"}
        )
        assert newbie_id in {item["id"] for item in filtered["items"]}, filtered
        engagement = await call(
            system, "GET", f"/v1/communities/{cid}/members/{newbie_id}/engagement", owner
        )
        assert (engagement["segment"], engagement["activity_count"]) == ("newcomer", 1)

    await eventually(newcomer_everywhere, timeout=60, interval=0.5)
    # The activity did not make them `casual`: a newcomer stays one until the period ends.
    casual = await call(
        system, "GET", f"/v1/communities/{cid}/members", owner, params={"segment": "casual"}
    )
    assert newbie_id not in {item["id"] for item in casual["items"]}
