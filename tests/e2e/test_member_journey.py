"""The member journey through the gateway, on the real processes (real broker, SQLite and
PostgreSQL): welcome templates rendered into `member.welcome_due` and delivered to a bot's
webhook on every join that takes effect (open join, invite, approval; a tier's template over the
community's; none without a template); application questions answered on a join request, read
by approvers and the applicant only, erased with the person; exit reasons on leaving, carried on
`member.left`, listed for the owner, counted by scoring's churn metrics, their words erased.

Bad input, as answered (nothing stored in each case): a template with an unknown placeholder →
422 `unknown-placeholder` naming `template`; a template of 2,001 characters, with NUL or a lone
surrogate → 422 `validation-error`; a choice question with one option, or 11 questions → 422
naming the field; a join request without a required answer, with an unknown question id, a
choice that is not an option → 422 `invalid-answers` naming the field; an answer of 100 KB →
422; an unknown exit reason or 1,001 characters of exit text → 422 and the member stays; a reason
on someone else's removal → 422 naming `reason`."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
from fastapi import FastAPI, Request, Response

from tests.e2e.conftest import System
from tests.gateway.fakes import serving
from tests.support import assert_problem, eventually

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Received(list[dict[str, Any]]):
    """What a bot's receiver got, and the id of its subscription."""

    webhook_id: str = ""


@asynccontextmanager
async def bot_webhook(
    system: System, owner: str, community_id: str, event_types: list[str]
) -> AsyncIterator[Received]:
    """A bot's receiver subscribed to the community's events of these types: what it got."""
    received = Received()
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.append(orjson.loads(await request.body()))
        return Response(status_code=204)

    async with serving(receiver) as url:

        async def subscribed() -> str:
            # The gateway learns of a new community and its owner through the broker.
            response = await system.gateway.post(
                "/v1/webhooks",
                json={
                    "url": f"{url}/hook",
                    "event_types": event_types,
                    "community_id": community_id,
                },
                headers=system.auth(owner),
            )
            assert response.status_code == 201, response.text
            webhook_id: str = response.json()["id"]
            return webhook_id

        received.webhook_id = await eventually(subscribed, timeout=30, interval=0.2)
        yield received


async def create(system: System, owner: str, **fields: Any) -> str:
    created = await system.gateway.post(
        "/v1/communities", json={"name": "读书会 📚", **fields}, headers=system.auth(owner)
    )
    assert created.status_code == 201, created.text
    cid: str = created.json()["id"]
    return cid


async def join(
    system: System, cid: str, user: str, *, by: str | None = None, **fields: Any
) -> dict[str, Any]:
    """`user` joins (or is added by `by`); the join must succeed."""
    joined = await system.gateway.post(
        f"/v1/communities/{cid}/members",
        json={"user_id": user, "display_name": f"{user[:20]} 🌱", **fields},
        headers=system.auth(by or user),
    )
    assert joined.status_code == 201, joined.text
    body: dict[str, Any] = joined.json()
    return body


def welcomes(received: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        event["data"]["member_id"]: event["data"]
        for event in received
        if event["type"] == "member.welcome_due"
    }


async def test_welcome_templates_greet_every_join_that_takes_effect(system: System) -> None:
    owner, member = unique("owner"), unique("plain")
    cid = await create(system, owner, rules=["友善交流", "不发广告"])
    base = f"/v1/communities/{cid}"
    auth = system.auth(owner)
    second = await system.gateway.post(
        f"{base}/tiers", json={"name": "二群", "rank": 2}, headers=auth
    )
    assert second.status_code == 201, second.text
    tiers = (await system.gateway.get(f"{base}/tiers", headers=auth)).json()["items"]
    core_id = next(tier["id"] for tier in tiers if tier["rank"] == 1)
    await join(system, cid, member)

    # Bad templates: refused, nothing stored.
    unknown = await system.gateway.put(
        f"{base}/welcome", json={"template": "欢迎 {nmae} 和 {名字}"}, headers=auth
    )
    body = assert_problem(unknown, 422, field="template")
    assert body["type"].endswith("unknown-placeholder")
    assert body["placeholders"] == ["nmae", "名字"]
    for bad in ({"template": "x" * 2001}, {"template": "a\u0000b"}, {"rules_summary": 5}):
        assert_problem(await system.gateway.put(f"{base}/welcome", json=bad, headers=auth), 422)
    lone = json.dumps({"template": "hi \ud800 {name}"})
    surrogate = await system.gateway.put(
        f"{base}/welcome", content=lone, headers={**auth, "content-type": "application/json"}
    )
    assert_problem(surrogate, 422, field="template")
    tier_unknown = await system.gateway.put(
        f"{base}/tiers/{core_id}/welcome", json={"template": "{tierr}"}, headers=auth
    )
    assert_problem(tier_unknown, 422, field="template")
    # A plain member may read the welcome but not set it.
    by_member = await system.gateway.put(
        f"{base}/welcome", json={"template": "{name}"}, headers=system.auth(member)
    )
    assert by_member.status_code == 403, by_member.text
    read = await system.gateway.get(f"{base}/welcome", headers=system.auth(member))
    assert read.status_code == 200, read.text
    assert read.json()["template"] is None and read.json()["tiers"] == []
    assert read.json()["rules_text"] == "友善交流\n不发广告"

    async with bot_webhook(system, owner, cid, ["member.welcome_due"]) as received:
        before = await join(system, cid, unique("early"))  # no template yet: no welcome
        template = "欢迎 {name} 加入{community}, 你在{tier}。群规: {rules}"
        put = await system.gateway.put(f"{base}/welcome", json={"template": template}, headers=auth)
        assert put.status_code == 200, put.text
        assert put.json()["template"] == template
        core = await system.gateway.put(
            f"{base}/tiers/{core_id}/welcome",
            json={"template": "核心群欢迎你, {name} ({tier})"},
            headers=auth,
        )
        assert core.status_code == 200, core.text
        read = (await system.gateway.get(f"{base}/welcome", headers=system.auth(member))).json()
        assert [tier["tier_id"] for tier in read["tiers"]] == [core_id]

        opened = await join(system, cid, unique("open"))
        chosen = await join(system, cid, unique("core"), by=owner, tier_id=core_id)
        invite = await system.gateway.post(f"{base}/invites", json={}, headers=auth)
        assert invite.status_code == 201, invite.text
        invited = await join(system, cid, unique("invited"), invite_code=invite.json()["code"])

        # Approval: no welcome while pending, one when approved.
        acid = await create(system, owner, join_policy="approval")
        put = await system.gateway.put(
            f"/v1/communities/{acid}/welcome",
            json={"template": "{name}, 审核通过, 欢迎! {rules}", "rules_summary": "见群公告"},
            headers=auth,
        )
        assert put.status_code == 200, put.text
        async with bot_webhook(system, owner, acid, ["member.welcome_due"]) as approved_received:
            pending = await join(system, acid, unique("applicant"))
            assert pending["status"] == "pending"
            approved = await system.gateway.post(
                f"/v1/communities/{acid}/members/{pending['id']}/approve", headers=auth
            )
            assert approved.status_code == 200, approved.text

            async def approved_welcomed() -> None:
                assert list(welcomes(approved_received)) == [pending["id"]]

            await eventually(approved_welcomed, timeout=60, interval=0.3)
        greeting = welcomes(approved_received)[pending["id"]]
        assert greeting["text"] == f"{pending['display_name']}, 审核通过, 欢迎! 见群公告"

        # Cleared: the next join gets nothing; set again, the one after is greeted. One
        # community's events keep their order, so the last greeting arriving shows none came
        # between.
        cleared = await system.gateway.delete(f"{base}/welcome", headers=auth)
        assert cleared.status_code == 204, cleared.text
        assert (await system.gateway.get(f"{base}/welcome", headers=auth)).json()[
            "template"
        ] is None
        unwelcomed = await join(system, cid, unique("quiet"))
        put = await system.gateway.put(
            f"{base}/welcome", json={"template": "Hi {name}"}, headers=auth
        )
        assert put.status_code == 200, put.text
        last = await join(system, cid, unique("last"))

        async def all_welcomed() -> None:
            assert last["id"] in welcomes(received), received

        await eventually(all_welcomed, timeout=60, interval=0.3)
        # Deliveries are made in the events' order: by the time the last one exists, one for
        # the join in between would too.
        deliveries = await system.gateway.get(
            f"/v1/webhooks/{received.webhook_id}/deliveries", headers=auth
        )
        assert deliveries.status_code == 200, deliveries.text
        assert len(deliveries.json()["items"]) == 4, deliveries.text

    got = welcomes(received)
    assert set(got) == {opened["id"], chosen["id"], invited["id"], last["id"]}
    assert before["id"] not in got and unwelcomed["id"] not in got
    second_id = second.json()["id"]
    assert got[opened["id"]]["text"] == (
        f"欢迎 {opened['display_name']} 加入读书会 📚, 你在二群。群规: 友善交流\n不发广告"
    )
    assert got[opened["id"]]["tier_id"] == second_id
    assert got[opened["id"]]["template_scope"] == "community"
    assert got[chosen["id"]]["text"] == f"核心群欢迎你, {chosen['display_name']} (一群)"
    assert got[chosen["id"]]["template_scope"] == "tier"
    assert got[invited["id"]]["user_id"] == invited["user_id"]
    assert got[last["id"]]["text"] == f"Hi {last['display_name']}"
    catalogue = await system.gateway.get("/v1/event-types", headers=auth)
    assert "member.welcome_due" in {item["type"] for item in catalogue.json()["items"]}


QUESTIONS = [
    {"prompt": "你为什么想加入读书会?", "kind": "text", "required": True},
    {"prompt": "你每月读几本书?", "kind": "choice", "options": ["1 本", "2-3 本", "更多"]},
]


async def test_application_questions_are_answered_and_read_by_approvers(system: System) -> None:
    owner, applicant, plain = unique("owner"), unique("applicant"), unique("plain")
    cid = await create(system, owner, join_policy="approval", listed=True)
    base = f"/v1/communities/{cid}"
    auth = system.auth(owner)

    # Bad forms: refused, nothing stored.
    one_option = [{"prompt": "?", "kind": "choice", "options": ["only"]}]
    refused = await system.gateway.put(
        f"{base}/application-questions", json={"questions": one_option}, headers=auth
    )
    assert assert_problem(refused, 422, field="options")["type"].endswith("invalid-questions")
    eleven = [{"prompt": f"Q{n}", "kind": "text"} for n in range(11)]
    too_many = await system.gateway.put(
        f"{base}/application-questions", json={"questions": eleven}, headers=auth
    )
    assert_problem(too_many, 422, field="questions")
    unknown_id = [{"id": "q_nope", "prompt": "?", "kind": "text"}]
    assert_problem(
        await system.gateway.put(
            f"{base}/application-questions", json={"questions": unknown_id}, headers=auth
        ),
        422,
        field="id",
    )
    empty = await system.gateway.get(f"{base}/application-questions", headers=auth)
    assert empty.json()["questions"] == []

    put = await system.gateway.put(
        f"{base}/application-questions", json={"questions": QUESTIONS}, headers=auth
    )
    assert put.status_code == 200, put.text
    why, books = put.json()["questions"]
    assert why["required"] is True and books["options"] == ["1 本", "2-3 本", "更多"]
    # Kept ids survive an edit: the same questions again, by id, keep theirs.
    again = await system.gateway.put(
        f"{base}/application-questions",
        json={
            "questions": [{**QUESTIONS[0], "id": why["id"]}, {**QUESTIONS[1], "id": books["id"]}]
        },
        headers=auth,
    )
    assert [q["id"] for q in again.json()["questions"]] == [why["id"], books["id"]]
    # The applicant reads them before asking (the community is listed).
    form = await system.gateway.get(f"{base}/application-questions", headers=system.auth(applicant))
    assert form.status_code == 200, form.text
    assert form.json()["join_policy"] == "approval"

    member = await system.gateway.post(
        f"{base}/members", json={"user_id": plain, "display_name": "p"}, headers=system.auth(plain)
    )
    # A join waiting for approval must answer the required question.
    assert_problem(member, 422, field="answers")
    plain_id = (
        await join(system, cid, plain, answers=[{"question_id": why["id"], "answer": "看看"}])
    )["id"]
    approved = await system.gateway.post(f"{base}/members/{plain_id}/approve", headers=auth)
    assert approved.status_code == 200, approved.text

    def request(answers: Any) -> dict[str, Any]:
        return {"user_id": applicant, "display_name": "小林", "answers": answers}

    bad_requests = [
        ([{"question_id": "q_nope", "answer": "x"}], "question_id"),
        (
            [
                {"question_id": why["id"], "answer": "读书"},
                {"question_id": books["id"], "answer": "4"},
            ],
            "answer",
        ),
        ([{"question_id": why["id"], "answer": "x" * 100_000}], "answer"),
        ([{"question_id": why["id"], "answer": "a\u0000"}], "answer"),
        ([{"question_id": why["id"], "answer": "   "}], "answers"),
        ([{"question_id": why["id"], "answer": 5}], "answer"),
        ("not a list", "answers"),
    ]
    for answers, field in bad_requests:
        response = await system.gateway.post(
            f"{base}/members", json=request(answers), headers=system.auth(applicant)
        )
        assert_problem(response, 422, field=field)
    # Nothing of the refused requests stayed: no membership, no application.
    pending = (await system.gateway.get(f"{base}/applications", headers=auth)).json()
    assert pending["items"] == []

    answers = [
        {"question_id": books["id"], "answer": "2-3 本"},
        {"question_id": why["id"], "answer": "想认识书友 📚"},
    ]
    applied = await system.gateway.post(
        f"{base}/members", json=request(answers), headers=system.auth(applicant)
    )
    assert applied.status_code == 201, applied.text
    assert applied.json()["status"] == "pending"
    applicant_id = applied.json()["id"]

    listed = await system.gateway.get(f"{base}/applications", headers=auth)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["member_id"] == applicant_id and item["status"] == "pending"
    # In the form's order, each with its question as asked.
    assert [(a["question_id"], a["prompt"], a["answer"]) for a in item["answers"]] == [
        (why["id"], QUESTIONS[0]["prompt"], "想认识书友 📚"),
        (books["id"], QUESTIONS[1]["prompt"], "2-3 本"),
    ]
    one = f"{base}/members/{applicant_id}/application"
    assert (await system.gateway.get(one, headers=auth)).json()["answers"] == item["answers"]
    own = await system.gateway.get(one, headers=system.auth(applicant))
    assert own.status_code == 200 and own.json()["answers"] == item["answers"]
    # A plain member reads neither the list nor another's answers; a stranger not even that.
    for path in (one, f"{base}/applications"):
        assert (await system.gateway.get(path, headers=system.auth(plain))).status_code == 403
        stranger = await system.gateway.get(path, headers=system.auth(unique("stranger")))
        assert stranger.status_code == 404, stranger.text

    approved = await system.gateway.post(f"{base}/members/{applicant_id}/approve", headers=auth)
    assert approved.status_code == 200, approved.text
    assert (await system.gateway.get(one, headers=auth)).status_code == 200

    # Coming back after leaving is a new request: its answers replace the earlier ones.
    left = await system.gateway.delete(f"{base}/members/{plain_id}", headers=system.auth(plain))
    assert left.status_code == 200, left.text
    back = await join(
        system, cid, plain, answers=[{"question_id": why["id"], "answer": "再来一次"}]
    )
    assert back["id"] == plain_id and back["status"] == "pending"
    again_read = await system.gateway.get(f"{base}/members/{plain_id}/application", headers=auth)
    assert [a["answer"] for a in again_read.json()["answers"]] == ["再来一次"]

    erased = await system.gateway.delete(
        f"/v1/users/{applicant}/personal-data", headers=system.auth(applicant)
    )
    assert erased.status_code == 202, erased.text
    gone = await system.gateway.get(one, headers=auth)
    assert assert_problem(gone, 404)["type"].endswith("application-not-found")


async def test_exit_reasons_are_kept_announced_and_counted(system: System) -> None:
    owner, stayer = unique("owner"), unique("stayer")
    busy, words, silent, removed = (unique(name) for name in ("busy", "words", "silent", "removed"))
    cid = await create(system, owner)
    base = f"/v1/communities/{cid}"
    auth = system.auth(owner)
    await join(system, cid, stayer)
    ids = {user: (await join(system, cid, user))["id"] for user in (busy, words, silent, removed)}

    async def metrics_today() -> dict[str, Any]:
        response = await system.gateway.get(f"{base}/metrics", headers=auth)
        assert response.status_code == 200, response.text
        bucket: dict[str, Any] = response.json()["items"][-1]
        return bucket

    async def scoring_counts_the_joins() -> None:
        # The owner's join, the stayer's and the four leavers'.
        assert (await metrics_today())["new"] == 6

    await eventually(scoring_counts_the_joins, timeout=60, interval=0.5)

    mine = f"{base}/members/{ids[busy]}"
    for bad, field in (
        ({"reason": "bored"}, "reason"),
        ({"reason": "no_time", "text": "x" * 1001}, "text"),
        ({"text": "a\u0000"}, "text"),
        ({"reason": "other", "extra": 1}, "extra"),
    ):
        refused = await system.gateway.request(
            "DELETE",
            mine,
            content=json.dumps(bad),
            headers={**system.auth(busy), "content-type": "application/json"},
        )
        assert_problem(refused, 422, field=field)
    removal = await system.gateway.request(
        "DELETE",
        f"{base}/members/{ids[removed]}",
        content=json.dumps({"reason": "no_time"}),
        headers={**auth, "content-type": "application/json"},
    )
    assert_problem(removal, 422, field="reason")
    for user in (busy, removed):
        still = await system.gateway.get(f"{base}/members/{ids[user]}", headers=auth)
        assert still.json()["status"] == "active"

    async with bot_webhook(system, owner, cid, ["member.left"]) as received:
        for user, body in (
            (busy, {"reason": "no_time", "text": "最近太忙了, 以后再来 🙏"}),
            (words, {"text": "群消息太多"}),
            (silent, None),
        ):
            left = await system.gateway.request(
                "DELETE",
                f"{base}/members/{ids[user]}",
                content=json.dumps(body) if body is not None else None,
                headers={**system.auth(user), "content-type": "application/json"},
            )
            assert left.status_code == 200, left.text
            assert left.json()["status"] == "left"
        gone = await system.gateway.delete(f"{base}/members/{ids[removed]}", headers=auth)
        assert gone.status_code == 200, gone.text

        async def all_left() -> None:
            assert len(received) == 3, received

        await eventually(all_left, timeout=60, interval=0.3)
    reasons = {event["data"]["member_id"]: event["data"].get("reason") for event in received}
    assert reasons == {ids[busy]: "no_time", ids[words]: "other", ids[silent]: None}

    exits = await system.gateway.get(f"{base}/exit-reasons", headers=auth)
    assert exits.status_code == 200, exits.text
    assert exits.json()["counts"] == {"no_time": 1, "other": 1}
    texts = {item["member_id"]: (item["reason"], item["text"]) for item in exits.json()["items"]}
    assert texts == {
        ids[busy]: ("no_time", "最近太忙了, 以后再来 🙏"),
        ids[words]: ("other", "群消息太多"),
    }
    only = await system.gateway.get(f"{base}/exit-reasons?reason=other", headers=auth)
    assert [item["member_id"] for item in only.json()["items"]] == [ids[words]]
    assert_problem(await system.gateway.get(f"{base}/exit-reasons?reason=bored", headers=auth), 422)
    by_member = await system.gateway.get(f"{base}/exit-reasons", headers=system.auth(stayer))
    assert by_member.status_code == 403, by_member.text

    async def churn_by_reason() -> None:
        bucket = await metrics_today()
        assert bucket["left"] == 4, bucket
        assert bucket["left_by_reason"]["no_time"] == 1
        assert bucket["left_by_reason"]["other"] == 1
        assert bucket["left_by_reason"]["unspecified"] == 1
        assert bucket["left_by_reason"]["removed"] == 1
        assert bucket["left_by_reason"]["bad_experience"] == 0
        assert sum(bucket["left_by_reason"].values()) == bucket["left"]

    await eventually(churn_by_reason, timeout=60, interval=0.5)

    erased = await system.gateway.delete(
        f"/v1/users/{busy}/personal-data", headers=system.auth(busy)
    )
    assert erased.status_code == 202, erased.text
    after = (await system.gateway.get(f"{base}/exit-reasons", headers=auth)).json()
    texts = {item["member_id"]: (item["reason"], item["text"]) for item in after["items"]}
    assert texts[ids[busy]] == ("no_time", None)  # the words erased, the reason counted
    assert texts[ids[words]] == ("other", "群消息太多")
    assert after["counts"] == {"no_time": 1, "other": 1}
