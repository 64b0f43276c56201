"""The suggestion box (issue 23) through the gateway, on the real processes (real broker, SQLite
and PostgreSQL): members post suggestions and +1 others' (once each, never their own, and may
take it back); lists sort by +1s or newest and filter by status; the author edits and withdraws
while new; owners and admins set a status with a reply; `suggestion.*` reach a webhook; a mute
stops posting and +1s; erasure leaves the suggestion and its +1s, naming nobody.

Bad input, each answered with nothing stored: an empty or 201-character title → 422 `title`;
100 KB of body → 422 `body`; NUL → 422; a lone surrogate → 422; an unknown field → 422; a decline
without a reply → 422 `reply`; a status outside the list → 422 `status`; a +1 of one's own → 403
`own-suggestion-vote`; an edit by another member → 403, after a decision → 409."""

import json
import uuid
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


async def community_with(system: System, owner: str, *users: str) -> tuple[str, list[str]]:
    created = await system.gateway.post(
        "/v1/communities", json={"name": "读书会 📚"}, headers=system.auth(owner)
    )
    assert created.status_code == 201, created.text
    cid: str = created.json()["id"]
    ids = []
    for user in users:
        joined = await system.gateway.post(
            f"/v1/communities/{cid}/members",
            json={"user_id": user, "display_name": user},
            headers=system.auth(user),
        )
        assert joined.status_code == 201, joined.text
        ids.append(joined.json()["id"])

    async def content_knows_them() -> None:
        for user in users:
            listed = await system.gateway.get(
                f"/v1/communities/{cid}/suggestions", headers=system.auth(user)
            )
            assert listed.status_code == 200, listed.text

    await eventually(content_knows_them, timeout=30)
    return cid, ids


async def test_members_suggest_plus_one_and_staff_answer(system: System) -> None:
    owner, ming, hong, gang = (unique(n) for n in ("owner", "ming", "hong", "gang"))
    cid, [ming_id, hong_id, gang_id] = await community_with(system, owner, ming, hong, gang)
    box = f"/v1/communities/{cid}/suggestions"

    def item(sid: str) -> str:
        return f"{box}/{sid}"

    received: list[dict[str, Any]] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.append(orjson.loads(await request.body()))
        return Response(status_code=204)

    async with serving(receiver) as receiver_url:

        async def subscribe() -> None:
            # The gateway learns of the community through the broker too.
            subscribed = await system.gateway.post(
                "/v1/webhooks",
                json={
                    "url": f"{receiver_url}/hook",
                    "event_types": [
                        "suggestion.created",
                        "suggestion.status_changed",
                        "suggestion.withdrawn",
                    ],
                    "community_id": cid,
                },
                headers=system.auth(owner),
            )
            assert subscribed.status_code == 201, subscribed.text

        await eventually(subscribe, timeout=30)

        # Bad input: refused naming the field, nothing stored.
        as_ming = system.auth(ming)
        for bad, field in (
            ({"title": "", "body": "b"}, "title"),
            ({"title": "   ", "body": "b"}, "title"),
            ({"title": "t" * 201, "body": "b"}, "title"),
            ({"title": "t", "body": "x" * 100_000}, "body"),
            ({"title": "t\u0000", "body": "b"}, "title"),
            ({"title": "t", "body": "b", "status": "done"}, "status"),
            ({"title": "t"}, "body"),
        ):
            refused = await system.gateway.post(box, json=bad, headers=as_ming)
            assert_problem(refused, 422, field=field)
        lone = json.dumps({"title": "a\ud800b", "body": "b"})
        surrogate = await system.gateway.post(
            box, content=lone, headers={**as_ming, "content-type": "application/json"}
        )
        assert surrogate.status_code == 422, surrogate.text
        assert (await system.gateway.get(box, headers=as_ming)).json()["items"] == []

        first = await system.gateway.post(
            box,
            json={"title": "每周五加一场读书会 📖", "body": "晚上 8 点线上\uff0c轮流领读。" * 50},
            headers=as_ming,
        )
        assert first.status_code == 201, first.text
        s1 = first.json()
        assert (s1["status"], s1["votes"], s1["author_member_id"]) == ("new", 0, ming_id)
        assert s1["body"] == "晚上 8 点线上\uff0c轮流领读。" * 50
        second = await system.gateway.post(
            box, json={"title": "换个群名", "body": "更好记"}, headers=system.auth(hong)
        )
        assert second.status_code == 201, second.text
        s2 = second.json()

        # +1s: once per member, never one's own, and taken back.
        own = await system.gateway.put(f"{item(s1['id'])}/vote", headers=as_ming)
        assert assert_problem(own, 403)["type"].endswith("own-suggestion-vote")
        for _ in range(2):  # again changes nothing
            voted = await system.gateway.put(f"{item(s1['id'])}/vote", headers=system.auth(hong))
            assert voted.status_code == 200, voted.text
            assert (voted.json()["votes"], voted.json()["voted"]) == (1, True)
        voted = await system.gateway.put(f"{item(s1['id'])}/vote", headers=system.auth(gang))
        assert voted.json()["votes"] == 2
        voted = await system.gateway.put(f"{item(s2['id'])}/vote", headers=system.auth(gang))
        assert voted.json()["votes"] == 1
        for _ in range(2):
            taken_back = await system.gateway.delete(
                f"{item(s2['id'])}/vote", headers=system.auth(gang)
            )
            assert taken_back.status_code == 200, taken_back.text
            assert (taken_back.json()["votes"], taken_back.json()["voted"]) == (0, False)
        voted = await system.gateway.put(f"{item(s2['id'])}/vote", headers=as_ming)
        assert voted.json()["votes"] == 1
        third = await system.gateway.post(
            box, json={"title": "加一个打卡挑战", "body": "21 天"}, headers=system.auth(gang)
        )
        s3 = third.json()

        async def listed(**params: Any) -> list[str]:
            answer = await system.gateway.get(box, params=params, headers=system.auth(gang))
            assert answer.status_code == 200, answer.text
            return [entry["id"] for entry in answer.json()["items"]]

        # By +1s (ties: oldest first), or newest first; pages follow the order.
        assert await listed() == [s1["id"], s2["id"], s3["id"]]
        assert await listed(sort="newest") == [s3["id"], s2["id"], s1["id"]]
        page = await system.gateway.get(box, params={"limit": 2}, headers=system.auth(gang))
        assert [entry["id"] for entry in page.json()["items"]] == [s1["id"], s2["id"]]
        assert await listed(limit=2, cursor=page.json()["next_cursor"]) == [s3["id"]]
        mine = await system.gateway.get(box, headers=system.auth(hong))
        assert [entry["voted"] for entry in mine.json()["items"]] == [True, False, False]

        # The author edits while new; nobody else does.
        edited = await system.gateway.patch(
            item(s1["id"]), json={"title": "每周五读书会"}, headers=as_ming
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["title"] == "每周五读书会"
        not_theirs = await system.gateway.patch(
            item(s1["id"]), json={"title": "x"}, headers=system.auth(hong)
        )
        assert assert_problem(not_theirs, 403)["type"].endswith("not-your-suggestion")

        # Staff decide, with a reply; a decline says why.
        status_url = f"{item(s1['id'])}/status"
        by_member = await system.gateway.put(
            status_url, json={"status": "planned"}, headers=system.auth(hong)
        )
        assert by_member.status_code == 403, by_member.text
        for bad, field in (
            ({"status": "declined"}, "reply"),
            ({"status": "withdrawn", "reply": "x"}, "status"),
            ({"status": "planned", "reply": "r" * 2001}, "reply"),
        ):
            refused = await system.gateway.put(status_url, json=bad, headers=system.auth(owner))
            assert_problem(refused, 422, field=field)
        planned = await system.gateway.put(
            status_url,
            json={"status": "planned", "reply": "好主意\uff0c下个月开始 🎉"},
            headers=system.auth(owner),
        )
        assert planned.status_code == 200, planned.text
        assert (planned.json()["status"], planned.json()["reply"]) == (
            "planned",
            "好主意\uff0c下个月开始 🎉",
        )
        declined = await system.gateway.put(
            f"{item(s2['id'])}/status",
            json={"status": "declined", "reply": "群名已经印在海报上了"},
            headers=system.auth(owner),
        )
        assert declined.status_code == 200, declined.text
        assert await listed(status="planned") == [s1["id"]]
        late_edit = await system.gateway.patch(item(s1["id"]), json={"body": "x"}, headers=as_ming)
        assert assert_problem(late_edit, 409, field="status")["type"].endswith(
            "suggestion-not-editable"
        )
        late_withdrawal = await system.gateway.delete(item(s1["id"]), headers=as_ming)
        assert late_withdrawal.status_code == 409, late_withdrawal.text
        closed = await system.gateway.put(f"{item(s2['id'])}/vote", headers=system.auth(gang))
        assert assert_problem(closed, 409, field="status")["type"].endswith("suggestion-closed")

        # Withdrawn while new: the author's and the staff's only.
        withdrawn = await system.gateway.delete(item(s3["id"]), headers=system.auth(gang))
        assert withdrawn.status_code == 204, withdrawn.text
        assert (await system.gateway.get(item(s3["id"]), headers=as_ming)).status_code == 404
        own_view = await system.gateway.get(item(s3["id"]), headers=system.auth(gang))
        assert own_view.json()["status"] == "withdrawn"
        assert s3["id"] not in await listed()
        staff_list = await system.gateway.get(
            box, params={"status": "withdrawn"}, headers=system.auth(owner)
        )
        assert [entry["id"] for entry in staff_list.json()["items"]] == [s3["id"]]
        hidden = await system.gateway.get(box, params={"status": "withdrawn"}, headers=as_ming)
        assert hidden.status_code == 403, hidden.text

        async def delivered() -> None:
            by_type: dict[str, list[dict[str, Any]]] = {}
            for event in received:
                by_type.setdefault(event["type"], []).append(event["data"])
            assert len(by_type.get("suggestion.created", [])) == 3, by_type
            changes = {d["suggestion_id"]: d for d in by_type.get("suggestion.status_changed", [])}
            assert set(changes) == {s1["id"], s2["id"]}, by_type
            assert (changes[s1["id"]]["status"], changes[s1["id"]]["votes"]) == ("planned", 2)
            assert changes[s1["id"]]["reply"] == "好主意\uff0c下个月开始 🎉"
            assert changes[s2["id"]]["previous_status"] == "new"
            assert [d["suggestion_id"] for d in by_type.get("suggestion.withdrawn", [])] == [
                s3["id"]
            ]

        await eventually(delivered, timeout=60, interval=0.3)

    # A mute stops posting, editing and +1s until it ends: nothing is stored.
    fourth = await system.gateway.post(
        box, json={"title": "第四条", "body": "b"}, headers=system.auth(hong)
    )
    s4 = fourth.json()
    fifth = await system.gateway.post(
        box, json={"title": "第五条", "body": "b"}, headers=system.auth(gang)
    )
    s5 = fifth.json()
    muted = await system.gateway.post(
        f"/v1/communities/{cid}/members/{gang_id}/sanctions",
        json={"kind": "mute", "reason": "刷屏", "duration_hours": 2},
        headers=system.auth(owner),
    )
    assert muted.status_code == 201, muted.text

    async def muted_in_content() -> None:
        # An empty edit changes nothing either way: a probe that stores nothing while the mute
        # is still on its way through the broker.
        edit = await system.gateway.patch(item(s5["id"]), json={}, headers=system.auth(gang))
        assert edit.status_code == 403, edit.text
        assert edit.json()["type"].endswith("member-muted")

    await eventually(muted_in_content, timeout=30)
    post = await system.gateway.post(
        box, json={"title": "刷屏", "body": "b"}, headers=system.auth(gang)
    )
    assert assert_problem(post, 403)["type"].endswith("member-muted")
    plus_one = await system.gateway.put(f"{item(s4['id'])}/vote", headers=system.auth(gang))
    assert assert_problem(plus_one, 403)["type"].endswith("member-muted")
    assert (await system.gateway.get(item(s4["id"]), headers=as_ming)).json()["votes"] == 0
    assert await listed(sort="newest") == [s5["id"], s4["id"], s2["id"], s1["id"]]

    # Erasure: the suggestion and the +1s stay, naming nobody.
    erased = await system.gateway.delete(f"/v1/users/{ming}/personal-data", headers=as_ming)
    assert erased.status_code == 202, erased.text

    async def anonymous() -> None:
        suggestion = (await system.gateway.get(item(s1["id"]), headers=system.auth(hong))).json()
        assert (suggestion["author_member_id"], suggestion["author_erased"]) == (None, True)
        assert suggestion["title"] == "每周五读书会" and suggestion["votes"] == 2

    await eventually(anonymous, timeout=30)
    kept = (await system.gateway.get(item(s2["id"]), headers=system.auth(hong))).json()
    assert (kept["votes"], kept["author_member_id"]) == (1, hong_id)
