"""Surveys (问卷, issue 23) through the gateway on the real processes (real broker, SQLite and
PostgreSQL): an anonymous survey answered once per member, its results (counts, mean, NPS, the
free texts a page at a time) and its CSV export read by Python's `csv` module after the BOM; the
survey that opens by itself for an ended event's attendees; the monthly satisfaction survey
feeding the community's NPS series; `survey.*` events on the broker, with no member id when
anonymous.

Bad input, each answered without storing anything (the results still count what they counted):
an answer outside the scale, a choice that is not an option, 100 KB of free text, an unknown
question id → 422 `invalid-answer` naming `answers.<question id>`; NUL or a lone surrogate in a
text → 422 (validation); a second answer → 409 `already-responded`; an answer to a closed survey
→ 409 `survey-not-open`; a member outside the audience → 403 `not-in-audience`; results asked by
a plain member → 403; a survey with 31 questions, an unknown tier or opening in year 9999 → 422
naming the field."""

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import System
from tests.support import KafkaProbe, assert_problem, eventually

pytestmark = pytest.mark.e2e

QUESTIONS: list[dict[str, Any]] = [
    {"id": "nps", "kind": "nps", "text": "你有多大可能向朋友推荐本社群", "required": True},
    {
        "id": "kind",
        "kind": "single_choice",
        "text": "最喜欢的活动",
        "options": ["主题聚会", "知识分享"],
    },
    {
        "id": "topics",
        "kind": "multiple_choice",
        "text": "想听的话题",
        "options": ["AI", "读书", "=运动"],
    },
    {"id": "content", "kind": "scale", "text": "内容质量 1-5"},
    {"id": "ideas", "kind": "text", "text": "建议"},
]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def call(system: System, method: str, path: str, user: str, **kwargs: Any) -> Any:
    response = await system.gateway.request(method, path, headers=system.auth(user), **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


async def community_with(
    system: System, owner: str, *users: str, tags: dict[str, list[str]] | None = None
) -> tuple[str, dict[str, str]]:
    cid: str = (await call(system, "POST", "/v1/communities", owner, json={"name": "问卷群 📋"}))[
        "id"
    ]
    ids = {}
    for user in users:
        body = {"user_id": user, "display_name": user, "tags": (tags or {}).get(user, [])}
        ids[user] = (await call(system, "POST", f"/v1/communities/{cid}/members", user, json=body))[
            "id"
        ]
    return cid, ids


async def test_an_anonymous_survey_is_answered_once_and_adds_up(system: System) -> None:
    owner, a, b, c, late = (unique(name) for name in ("owner", "a", "b", "c", "late"))
    cid, members = await community_with(system, owner, a, b, c, late, tags={a: ["志愿者"]})
    surveys = f"/v1/communities/{cid}/surveys"

    too_many = [{"id": f"q{i}", "kind": "scale", "text": "?"} for i in range(31)]
    refused = await system.gateway.post(
        surveys, json={"title": "x", "questions": too_many}, headers=system.auth(owner)
    )
    assert_problem(refused, 422, field="questions")
    no_tier = await system.gateway.post(
        surveys,
        json={"title": "x", "questions": QUESTIONS, "audience": {"kind": "tiers", "values": ["t"]}},
        headers=system.auth(owner),
    )
    assert_problem(no_tier, 422, field="audience.values")
    far = await system.gateway.post(
        surveys,
        json={"title": "x", "questions": QUESTIONS, "opens_at": "9999-12-31T00:00:00Z"},
        headers=system.auth(owner),
    )
    assert_problem(far, 422, field="opens_at")
    by_member = await system.gateway.post(
        surveys, json={"title": "x", "questions": QUESTIONS}, headers=system.auth(a)
    )
    assert_problem(by_member, 403)

    survey = await call(
        system,
        "POST",
        surveys,
        owner,
        json={"title": "年度满意度调查 🎯", "questions": QUESTIONS, "anonymous": True},
    )
    assert survey["status"] == "open" and survey["anonymous"] is True
    path = f"{surveys}/{survey['id']}"
    assert (await call(system, "GET", path, a))["questions"][1]["options"] == [
        "主题聚会",
        "知识分享",
    ]

    # Bad answers: refused whole, naming the question; nothing stored.
    valid = {
        "nps": 10,
        "kind": "知识分享",
        "topics": ["AI", "=运动"],
        "content": 4,
        "ideas": "多办线下活动 🎉",
    }
    for bad, field in (
        ({**valid, "content": 6}, "answers.content"),
        ({**valid, "nps": 2**70}, "answers.nps"),
        ({**valid, "kind": "烧烤"}, "answers.kind"),
        ({**valid, "topics": ["AI", "旅行"]}, "answers.topics"),
        ({**valid, "ideas": "长" * 100_000}, "answers.ideas"),
        ({**valid, "ghost": 1}, "answers.ghost"),
        ({"kind": "主题聚会"}, "answers.nps"),  # the required question left out
    ):
        answered = await system.gateway.post(
            f"{path}/responses", json={"answers": bad}, headers=system.auth(a)
        )
        body = assert_problem(answered, 422, field=field)
        assert body["type"].endswith("invalid-answer")
    nul = await system.gateway.post(
        f"{path}/responses",
        json={"answers": {**valid, "ideas": "a\u0000b"}},
        headers=system.auth(a),
    )
    assert_problem(nul, 422)
    surrogate = await system.gateway.post(
        f"{path}/responses",
        content=json.dumps({"answers": {**valid, "ideas": "a\ud800b"}}),
        headers={**system.auth(a), "content-type": "application/json"},
    )
    assert_problem(surrogate, 422)
    assert (await call(system, "GET", f"{path}/results", owner))["responses"] == 0
    assert_problem(await system.gateway.get(f"{path}/responses", headers=system.auth(a)), 404)

    # One response each.
    mine = await call(system, "POST", f"{path}/responses", a, json={"answers": valid})
    assert mine == {
        "survey_id": survey["id"],
        "anonymous": True,
        "answers": None,
        "submitted_at": None,
    }
    again = await system.gateway.post(
        f"{path}/responses", json={"answers": valid}, headers=system.auth(a)
    )
    assert assert_problem(again, 409)["type"].endswith("already-responded")
    await call(
        system,
        "POST",
        f"{path}/responses",
        b,
        json={"answers": {"nps": 8, "kind": "主题聚会", "content": 2, "ideas": "=1+1"}},
    )
    await call(
        system, "POST", f"{path}/responses", c, json={"answers": {"nps": 3, "topics": ["AI"]}}
    )
    # A member sees only that they answered (anonymous: the answers are nobody's).
    assert (await call(system, "GET", f"{path}/responses", a))["answers"] is None

    results = await call(system, "GET", f"{path}/results", owner)
    assert results["responses"] == 3
    by_id = {question["id"]: question for question in results["questions"]}
    assert by_id["nps"]["nps"] == {"promoters": 1, "passives": 1, "detractors": 1, "score": 0.0}
    assert by_id["nps"]["counts"]["10"] == 1 and by_id["nps"]["answered"] == 3
    assert by_id["kind"]["counts"] == {"主题聚会": 1, "知识分享": 1}
    assert by_id["topics"]["counts"] == {"AI": 2, "读书": 0, "=运动": 1}
    assert by_id["content"]["mean"] == 3.0 and by_id["content"]["answered"] == 2
    assert by_id["ideas"]["answered"] == 2
    assert_problem(await system.gateway.get(f"{path}/results", headers=system.auth(b)), 403)

    texts_path = f"{path}/questions/ideas/texts"
    first = await call(system, "GET", texts_path, owner, params={"limit": 1})
    second = await call(
        system, "GET", texts_path, owner, params={"limit": 1, "cursor": first["next_cursor"]}
    )
    assert second["next_cursor"] is None
    assert {first["items"][0]["text"], second["items"][0]["text"]} == {"多办线下活动 🎉", "=1+1"}
    assert_problem(
        await system.gateway.get(f"{path}/questions/nps/texts", headers=system.auth(owner)), 404
    )

    # The CSV: a BOM first, then one row per response, Chinese intact, no member ids.
    exported = await system.gateway.get(f"{path}/export", headers=system.auth(owner))
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content[:3] == b"\xef\xbb\xbf"
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert {row["member_id"] for row in rows} == {""}
    assert {row["submitted_at"] for row in rows} == {""}
    assert sorted(row["kind 最喜欢的活动"] for row in rows) == ["", "主题聚会", "知识分享"]
    # A text a spreadsheet would run as a formula is written inert.
    assert "'=1+1" in {row["ideas 建议"] for row in rows}
    assert "AI; =运动" in {row["topics 想听的话题"] for row in rows}
    assert_problem(await system.gateway.get(f"{path}/export", headers=system.auth(a)), 403)

    # Audiences: a tag; a tier nobody is in.
    tagged = await call(
        system,
        "POST",
        surveys,
        owner,
        json={
            "title": "志愿者问卷",
            "questions": QUESTIONS[:1],
            "audience": {"kind": "tags", "values": ["志愿者"]},
        },
    )
    await call(
        system, "POST", f"{surveys}/{tagged['id']}/responses", a, json={"answers": {"nps": 9}}
    )
    outside = await system.gateway.post(
        f"{surveys}/{tagged['id']}/responses", json={"answers": {"nps": 9}}, headers=system.auth(b)
    )
    assert assert_problem(outside, 403)["type"].endswith("not-in-audience")
    listed_by_b = await call(system, "GET", surveys, b)
    assert tagged["id"] not in {item["id"] for item in listed_by_b["items"]}
    own = await call(system, "GET", f"{surveys}/{tagged['id']}/responses", a)
    assert own["answers"] == {"nps": 9} and own["submitted_at"]  # not anonymous: it is hers

    # Closed: no more answers, and the close is announced.
    closed = await call(system, "POST", f"{path}/close", owner)
    assert closed["status"] == "closed"
    late_answer = await system.gateway.post(
        f"{path}/responses", json={"answers": valid}, headers=system.auth(late)
    )
    assert assert_problem(late_answer, 409)["type"].endswith("survey-not-open")
    assert (await call(system, "GET", f"{path}/results", owner))["responses"] == 3

    async with KafkaProbe(system.stack.bootstrap_servers) as probe:
        responded = await probe.events(
            "huoli.members",
            type="survey.responded",
            count=3,
            where=lambda event: event["data"]["survey_id"] == survey["id"],
            timeout=30,
        )
        assert [event["data"]["member_id"] for event in responded] == [None] * 3
        [tag_event] = await probe.events(
            "huoli.members",
            type="survey.responded",
            where=lambda event: event["data"]["survey_id"] == tagged["id"],
            timeout=30,
        )
        assert tag_event["data"]["member_id"] == members[a]
        await probe.events(
            "huoli.members",
            type="survey.closed",
            where=lambda event: event["data"]["survey_id"] == survey["id"],
            timeout=30,
        )


async def test_the_survey_after_an_event_asks_its_attendees(system: System) -> None:
    owner, came, stayed_home = unique("owner"), unique("came"), unique("home")
    cid, members = await community_with(system, owner, came, stayed_home)
    template = await call(
        system,
        "POST",
        f"/v1/communities/{cid}/surveys",
        owner,
        json={"title": "活动反馈", "questions": QUESTIONS[:2], "template": True},
    )
    assert template["status"] == "template"
    bad = await system.gateway.put(
        f"/v1/communities/{cid}/survey-settings",
        json={"post_event_template_id": "srv_nope"},
        headers=system.auth(owner),
    )
    assert_problem(bad, 422, field="post_event_template_id")
    settings = await call(
        system,
        "PUT",
        f"/v1/communities/{cid}/survey-settings",
        owner,
        json={"post_event_template_id": template["id"], "post_event_days": 3},
    )
    assert settings["post_event_template_id"] == template["id"]

    now = datetime.now(UTC)

    async def created_event() -> dict[str, Any]:
        created: dict[str, Any] = await call(
            system,
            "POST",
            f"/v1/communities/{cid}/events",
            owner,
            json={
                "title": "周末读书会 📚",
                "kind": "salon",
                "format": "offline",
                "location": "上海",
                "starts_at": (now - timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(seconds=25)).isoformat(),
            },
        )
        return created

    event = await eventually(created_event, timeout=30, interval=0.3)
    await call(system, "POST", f"/v1/events/{event['id']}/publish", owner)

    async def registered() -> None:
        await call(
            system,
            "POST",
            f"/v1/events/{event['id']}/registrations",
            came,
            json={"member_id": members[came]},
        )

    await eventually(registered, timeout=30)
    await call(
        system,
        "POST",
        f"/v1/events/{event['id']}/check-ins",
        came,
        json={"member_id": members[came], "code": event["checkin_code"]},
    )

    async def opened() -> dict[str, Any]:
        listed = await call(system, "GET", f"/v1/communities/{cid}/surveys", owner)
        found: list[dict[str, Any]] = [s for s in listed["items"] if s["kind"] == "post_event"]
        assert len(found) == 1, listed
        return found[0]

    survey = await eventually(opened, timeout=90, interval=1)
    assert survey["audience"] == {"kind": "event", "values": [event["id"]]}
    assert survey["status"] == "open" and survey["title"] == "活动反馈"
    path = f"/v1/communities/{cid}/surveys/{survey['id']}"
    await call(system, "POST", f"{path}/responses", came, json={"answers": {"nps": 10}})
    home = await system.gateway.post(
        f"{path}/responses", json={"answers": {"nps": 10}}, headers=system.auth(stayed_home)
    )
    assert_problem(home, 403)
    assert_problem(await system.gateway.get(path, headers=system.auth(stayed_home)), 404)
    async with KafkaProbe(system.stack.bootstrap_servers) as probe:
        [announced] = await probe.events(
            "huoli.members",
            type="survey.opened",
            where=lambda e: e["data"]["survey_id"] == survey["id"],
            timeout=30,
        )
    assert announced["data"]["event_id"] == event["id"]


async def test_the_monthly_satisfaction_survey_feeds_the_nps_series(system: System) -> None:
    owner, *users = (unique(name) for name in ("owner", "p1", "p2", "d1"))
    cid, _ = await community_with(system, owner, *users)
    series = f"/v1/communities/{cid}/metrics/nps"
    assert (await call(system, "GET", series, owner))["items"] == []
    await call(
        system, "PUT", f"/v1/communities/{cid}/survey-settings", owner, json={"monthly_nps": True}
    )
    # Turning it on twice opens no second survey for the month.
    await call(
        system, "PUT", f"/v1/communities/{cid}/survey-settings", owner, json={"monthly_nps": True}
    )
    listed = await call(system, "GET", f"/v1/communities/{cid}/surveys", users[0])
    [monthly] = [s for s in listed["items"] if s["kind"] == "satisfaction"]
    assert monthly["anonymous"] is True
    path = f"/v1/communities/{cid}/surveys/{monthly['id']}"
    # The first member answers five times at once: exactly one is taken (anonymous, so only
    # the respondent marker's primary key can tell).
    racing = await asyncio.gather(
        *(
            system.gateway.post(
                f"{path}/responses", json={"answers": {"nps": 10}}, headers=system.auth(users[0])
            )
            for _ in range(5)
        )
    )
    assert sorted(response.status_code for response in racing) == [201, 409, 409, 409, 409]
    for user, score in zip(users[1:], (9, 3), strict=True):
        await call(system, "POST", f"{path}/responses", user, json={"answers": {"nps": score}})
    timezone = (await call(system, "GET", f"/v1/communities/{cid}", owner))["timezone"]
    month = datetime.now(ZoneInfo(timezone)).strftime("%Y-%m")
    [point] = (await call(system, "GET", series, owner))["items"]
    assert point == {
        "month": month,
        "survey_id": monthly["id"],
        "responses": 3,
        "promoters": 2,
        "passives": 0,
        "detractors": 1,
        "nps": 33.3,
    }
    assert_problem(await system.gateway.get(series, headers=system.auth(users[0])), 403)
