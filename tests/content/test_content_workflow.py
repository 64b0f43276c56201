"""The content workflow in-process on SQLite and PostgreSQL with the real broker: review with
screening, publishing rules and scheduling in the community's timezone, the calendar, polls."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from services.common.components import CONTENT
from services.common.events.catalogue import CommunityCreated, MemberJoined
from services.common.membership.repository import save_community, save_membership
from services.content.tables import membership
from tests.support import KafkaProbe, actor, assert_problem, member_id_of, service_client

SHANGHAI = "cmty_shanghai"
NEW_YORK = "cmty_new_york"
BERLIN = "cmty_berlin"
ROLES = {"editor": "recorder", "writer": "member", "reader": "member", "admin": "admin"}


async def seed_community(app: FastAPI, community_id: str, timezone: str) -> None:
    """A community in `timezone` whose owner is `owner`, with ROLES as members."""
    now = datetime.now(UTC)
    async with app.state.runtime.sessions() as session:
        await save_community(
            session,
            membership,
            CommunityCreated(
                community_id=community_id,
                name=community_id,
                join_policy="open",
                timezone=timezone,
                owner_user_id="owner",
                created_at=now,
            ),
        )
        for user_id, role in {"owner": "owner", **ROLES}.items():
            await save_membership(
                session,
                membership,
                MemberJoined(
                    community_id=community_id,
                    member_id=member_id_of(user_id),
                    user_id=user_id,
                    display_name=user_id,
                    status="active",
                    role=role,
                    joined_at=now,
                ),
            )
        await session.commit()


async def seed(app: FastAPI) -> None:
    await seed_community(app, SHANGHAI, "Asia/Shanghai")
    await seed_community(app, NEW_YORK, "America/New_York")
    await seed_community(app, BERLIN, "Europe/Berlin")


client = service_client(
    CONTENT, prepare=seed, run_consumers=False, run_publisher=False, run_series_worker=False
)


async def create(
    client: httpx.AsyncClient, *, by: str = "writer", community_id: str = SHANGHAI, **fields: Any
) -> dict[str, Any]:
    body = {
        "kind": "user_story",
        "title": "我的故事 ✨",
        "body": "第一次参加读书会 📚",
        "source": "member",
    }
    response = await client.post(
        f"/v1/communities/{community_id}/content", json={**body, **fields}, headers=actor(by)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def act(
    client: httpx.AsyncClient, content_id: str, action: str, *, by: str = "editor", **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/content/{content_id}/{action}", json=body or None, headers=actor(by)
    )


async def approved(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    item = await create(client, **fields)
    submitter = fields.get("by", "writer")
    assert (await act(client, item["id"], "submit", by=submitter)).json()["status"] == "in_review"
    response = await act(client, item["id"], "approve")
    assert response.json()["status"] == "approved", response.text
    return response.json()  # type: ignore[no-any-return]


async def relax_rules(client: httpx.AsyncClient, community_id: str = SHANGHAI) -> None:
    rules = {"slots": ["08:00"], "max_per_day": 1000, "min_gap_minutes": 0, "quiet_hours": None}
    response = await client.put(
        f"/v1/communities/{community_id}/publishing-rules", json=rules, headers=actor("owner")
    )
    assert response.status_code == 200, response.text


async def test_an_item_walks_the_workflow_and_every_illegal_move_is_a_409(
    client: httpx.AsyncClient, broker: str
) -> None:
    item = await create(client)
    assert item["author_member_id"] == member_id_of("writer")
    content_id = item["id"]
    patched = await client.patch(
        f"/v1/content/{content_id}",
        json={"title": "改过的标题 🌟", "tags": ["故事"]},
        headers=actor("writer"),
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["title"], patched.json()["body"]) == ("改过的标题 🌟", item["body"])
    # Someone else's draft: neither a plain member nor a stranger may touch it.
    other = await client.patch(f"/v1/content/{content_id}", json={}, headers=actor("reader"))
    assert assert_problem(other, 403)["type"].endswith("/not-your-content")
    assert_problem(await act(client, content_id, "submit", by="mallory"), 404)
    # Review before submission, approval by a plain member: refused.
    early = assert_problem(await act(client, content_id, "approve"), 409)
    assert early["current_status"] == "draft"
    assert "draft" in early["detail"]

    submitted = await act(client, content_id, "submit", by="writer")
    assert submitted.json()["status"] == "in_review", submitted.text
    assert submitted.json()["screening"] == []
    locked = await client.patch(
        f"/v1/content/{content_id}", json={"title": "x"}, headers=actor("writer")
    )
    assert assert_problem(locked, 409)["current_status"] == "in_review"
    assert assert_problem(await act(client, content_id, "approve", by="writer"), 403)
    assert (
        assert_problem(await act(client, content_id, "submit", by="writer"), 409)["current_status"]
        == "in_review"
    )

    approved_item = await act(client, content_id, "approve", reason="写得好")
    assert approved_item.json()["status"] == "approved"
    assert approved_item.json()["reviewed_by"] == "editor"
    # Named for what it holds (a user id), the old name kept for existing clients.
    assert approved_item.json()["reviewed_by_user_id"] == "editor"
    assert (
        assert_problem(await act(client, content_id, "archive"), 409)["current_status"]
        == "approved"
    )
    published = await act(client, content_id, "publish")
    assert published.json()["status"] == "published"
    assert published.json()["published_at"]
    for action in ("submit", "approve", "reject", "schedule", "publish"):
        refused = assert_problem(await act(client, content_id, action), 409)
        assert refused["current_status"] == "published", action
        assert refused["type"].endswith("/illegal-transition")
    assert (await act(client, content_id, "archive")).json()["status"] == "archived"
    fetched = (await client.get(f"/v1/content/{content_id}", headers=actor("reader"))).json()
    assert (fetched["status"], fetched["title"]) == ("archived", "改过的标题 🌟")

    events = await KafkaProbe(broker).events(
        "huoli.content", count=5, where=lambda event: event["subject"] == content_id
    )
    assert [event["type"] for event in events] == [
        "content.created",
        "content.submitted",
        "content.approved",
        "content.published",
        "content.archived",
    ]
    assert events[2]["data"]["approved_by"] == "editor"
    assert events[3]["data"]["author_member_id"] == member_id_of("writer")


async def test_a_rejected_item_is_edited_and_submitted_again(client: httpx.AsyncClient) -> None:
    item = await create(client)
    await act(client, item["id"], "submit", by="writer")
    rejected = await act(client, item["id"], "reject", reason="请补充细节")
    assert (rejected.json()["status"], rejected.json()["review_reason"]) == (
        "rejected",
        "请补充细节",
    )
    patched = await client.patch(
        f"/v1/content/{item['id']}", json={"body": "补充了细节 ✅"}, headers=actor("writer")
    )
    assert patched.status_code == 200
    again = await act(client, item["id"], "submit", by="writer")
    assert again.json()["status"] == "in_review"
    assert again.json()["review_reason"] is None


async def test_screening_rejects_by_default_and_flags_where_the_community_says(
    client: httpx.AsyncClient, broker: str
) -> None:
    spam = await create(client, body="好物推荐，加 微 信 领取 https://shop.example.cn/x")  # noqa: RUF001
    rejected = await act(client, spam["id"], "submit", by="writer")
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["screening"] == [
        {"rule": "ads", "match": "加微信"},
        {"rule": "link", "match": "shop.example.cn"},
    ]
    [event] = await KafkaProbe(broker).events(
        "huoli.content", type="content.rejected", where=lambda e: e["subject"] == spam["id"]
    )
    assert event["data"]["rejected_by"] is None
    assert event["data"]["screening"][0] == {"rule": "ads", "match": "加微信"}

    path = f"/v1/communities/{SHANGHAI}/screening"
    settings = {
        "action": "flag",
        "words": {"custom": ["竞品"]},
        "allowed_domains": ["example.cn"],
    }
    assert_problem(await client.put(path, json=settings, headers=actor("editor")), 403)
    put = await client.put(path, json=settings, headers=actor("admin"))
    assert put.status_code == 200, put.text
    assert (await client.get(path, headers=actor("editor"))).json() == {
        **settings,
        "official": {"action": "flag", "any_link": True},  # the default for editors' content
        "community_id": SHANGHAI,
    }
    assert_problem(
        await client.put(path, json={"action": "delete"}, headers=actor("owner")),
        422,
        field="action",
    )
    assert_problem(
        await client.put(path, json={"words": {"spam": ["x"]}}, headers=actor("owner")), 422
    )
    assert_problem(
        await client.put(path, json={"allowed_domains": ["not a domain"]}, headers=actor("owner")),
        422,
    )

    flagged = await act(client, spam["id"], "submit", by="writer")  # the allowed link passes now
    assert flagged.json()["status"] == "in_review"
    assert flagged.json()["flagged"] is True
    assert flagged.json()["screening"] == [{"rule": "ads", "match": "加微信"}]
    custom = await create(client, title="聊聊竞 品")
    custom_flagged = (await act(client, custom["id"], "submit", by="writer")).json()
    assert custom_flagged["screening"] == [{"rule": "custom", "match": "竞品"}]
    [event] = await KafkaProbe(broker).events(
        "huoli.content", type="content.flagged", where=lambda e: e["subject"] == custom["id"]
    )
    assert event["data"]["screening"] == [{"rule": "custom", "match": "竞品"}]


async def test_screening_fits_its_author(client: httpx.AsyncClient, broker: str) -> None:
    """Defaults per source: members' UGC strict (a banned word or a foreign link rejects);
    editors' official content flagged for a person, never rejected, any link allowed."""
    body = "今日早报：扫码进群领取优惠券代领 https://mp.weixin.qq.com/s/abc"  # noqa: RUF001
    ugc = await create(client, community_id=BERLIN, body=body)
    rejected = (await act(client, ugc["id"], "submit", by="writer")).json()
    assert rejected["status"] == "rejected"
    assert {hit["rule"] for hit in rejected["screening"]} == {"ads", "link"}
    brief = await create(
        client, community_id=BERLIN, body=body, source="official", kind="brief", by="editor"
    )
    flagged = (await act(client, brief["id"], "submit", by="editor")).json()
    assert (flagged["status"], flagged["flagged"]) == ("in_review", True)
    assert {hit["rule"] for hit in flagged["screening"]} == {"ads"}  # the link stands
    [event] = await KafkaProbe(broker).events(
        "huoli.content", type="content.flagged", where=lambda e: e["subject"] == brief["id"]
    )
    assert {hit["rule"] for hit in event["data"]["screening"]} == {"ads"}  # two ads words
    linked = await create(
        client,
        community_id=BERLIN,
        body="推荐阅读 https://mp.weixin.qq.com/s/abc",
        source="official",
        kind="article",
        by="editor",
    )
    clean = (await act(client, linked["id"], "submit", by="editor")).json()
    assert (clean["status"], clean["flagged"], clean["screening"]) == ("in_review", False, [])
    # A community may make official content strict too; bad input is a 422 naming the field.
    path = f"/v1/communities/{BERLIN}/screening"
    strict = {"official": {"action": "reject", "any_link": False}}
    assert (await client.put(path, json=strict, headers=actor("admin"))).status_code == 200
    again = await create(
        client, community_id=BERLIN, body=body, source="official", kind="brief", by="editor"
    )
    assert (await act(client, again["id"], "submit", by="editor")).json()["status"] == "rejected"
    for wrong in ({"action": "delete", "any_link": True}, {"action": "flag"}, {"x": 1}):
        assert_problem(
            await client.put(path, json={"official": wrong}, headers=actor("admin")), 422
        )


async def test_publishing_rules_are_validated_and_read_back_with_the_timezone(
    client: httpx.AsyncClient,
) -> None:
    path = f"/v1/communities/{NEW_YORK}/publishing-rules"
    defaults = (await client.get(path, headers=actor("reader"))).json()
    assert defaults == {
        "slots": ["08:00", "12:30", "21:00"],
        "max_per_day": 3,
        "min_gap_minutes": 120,
        "quiet_hours": ["23:00", "07:00"],
        "community_id": NEW_YORK,
        "timezone": "America/New_York",
    }
    owner = actor("owner")
    for bad, field in (
        ({"slots": ["25:00"]}, "slots"),
        ({"slots": ["8:00"]}, "slots"),
        ({"slots": []}, "slots"),
        ({"slots": ["08:00", "08:00"]}, "slots"),
        ({"max_per_day": 0}, "max_per_day"),
        ({"max_per_day": 2**64}, "max_per_day"),
        ({"min_gap_minutes": -1}, "min_gap_minutes"),
        ({"quiet_hours": ["23:00"]}, "quiet_hours"),
        ({"slots": ["23:30"]}, "slots"),  # inside the default quiet hours
    ):
        problem = assert_problem(await client.put(path, json=bad, headers=owner), 422)
        named = [err["loc"] for err in problem.get("errors", [])] + [[problem.get("field")]]
        assert any(field in location for location in named), problem
    assert_problem(await client.put(path, json={}, headers=actor("editor")), 403)
    changed = {
        "slots": ["09:00", "18:00"],
        "max_per_day": 2,
        "min_gap_minutes": 60,
        "quiet_hours": None,
    }
    assert (await client.put(path, json=changed, headers=owner)).status_code == 200
    assert (await client.get(path, headers=actor("reader"))).json()["slots"] == ["09:00", "18:00"]


async def test_schedule_takes_the_next_slot_or_a_time_that_keeps_the_rules(
    client: httpx.AsyncClient,
) -> None:
    first = await approved(client)
    auto = await act(client, first["id"], "schedule")
    assert auto.status_code == 200, auto.text
    publish_at = datetime.fromisoformat(auto.json()["publish_at"])
    assert publish_at > datetime.now(UTC)
    local = publish_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%H:%M") in {"08:00", "12:30", "21:00"}
    second = await approved(client)
    next_auto = datetime.fromisoformat(
        (await act(client, second["id"], "schedule")).json()["publish_at"]
    )
    assert next_auto > publish_at  # the first slot is taken

    third = await approved(client)
    near_first = (publish_at + timedelta(minutes=30)).isoformat()
    gap = assert_problem(await act(client, third["id"], "schedule", publish_at=near_first), 409)
    assert gap["rule"] == "min_gap"
    past = assert_problem(
        await act(client, third["id"], "schedule", publish_at="2020-01-01T08:00:00+08:00"), 409
    )
    assert past["rule"] == "in_the_past"
    assert_problem(
        await act(client, third["id"], "schedule", publish_at="tomorrow"), 422, field="publish_at"
    )
    assert_problem(
        await act(client, third["id"], "schedule", publish_at=1700000000), 422, field="publish_at"
    )
    for far in ("9999-12-31T23:59:59Z", "2099-01-01T08:00:00+08:00"):
        assert_problem(
            await act(client, third["id"], "schedule", publish_at=far), 422, field="publish_at"
        )
    assert_problem(await act(client, third["id"], "schedule", by="writer"), 403)


async def test_explicit_times_keep_the_quiet_hours_on_the_local_clock_across_dst(
    client: httpx.AsyncClient,
) -> None:
    # 2027-03-14: New York springs forward at 02:00; 2027-03-28: Berlin at 02:00.
    for community_id, quiet, allowed in (
        (NEW_YORK, "2027-03-14T06:30:00-04:00", "2027-03-14T07:30:00-04:00"),
        (NEW_YORK, "2027-03-13T22:59:00-05:00", None),  # day before: not quiet yet
        (BERLIN, "2027-03-28T06:59:00+02:00", "2027-03-28T07:00:00+02:00"),
        (BERLIN, "2027-10-31T06:30:00+01:00", "2027-10-31T07:15:00+01:00"),
    ):
        item = await approved(client, community_id=community_id)
        response = await act(client, item["id"], "schedule", publish_at=quiet)
        if allowed is None:
            assert response.status_code == 200, response.text
            continue
        assert assert_problem(response, 409)["rule"] == "quiet_hours"
        ok = await act(client, item["id"], "schedule", publish_at=allowed)
        assert ok.status_code == 200, ok.text
        assert datetime.fromisoformat(ok.json()["publish_at"]) == datetime.fromisoformat(allowed)


async def test_max_per_day_counts_per_tier_on_the_local_day(client: httpx.AsyncClient) -> None:
    path = f"/v1/communities/{BERLIN}/publishing-rules"
    rules = {"slots": ["08:00"], "max_per_day": 1, "min_gap_minutes": 0, "quiet_hours": None}
    assert (await client.put(path, json=rules, headers=actor("owner"))).status_code == 200
    core = await approved(client, community_id=BERLIN, tier_ids=["tier_core"])
    day = "2027-06-01T09:00:00+02:00"
    assert (await act(client, core["id"], "schedule", publish_at=day)).status_code == 200
    repeat = await approved(client, community_id=BERLIN, tier_ids=["tier_repeat"])
    assert (await act(client, repeat["id"], "schedule", publish_at=day)).status_code == 200
    everyone = await approved(client, community_id=BERLIN)
    # 23:30 local is still 1 June in Berlin (21:30 UTC).
    late = assert_problem(
        await act(client, everyone["id"], "schedule", publish_at="2027-06-01T21:30:00Z"), 409
    )
    assert late["rule"] == "max_per_day"
    next_day = await act(client, everyone["id"], "schedule", publish_at="2027-06-01T22:30:00Z")
    assert next_day.status_code == 200, next_day.text


async def test_the_calendar_lists_by_publish_time_in_pages(client: httpx.AsyncClient) -> None:
    await relax_rules(client)
    times = ["2027-01-03T10:00:00+08:00", "2027-01-01T10:00:00+08:00", "2027-01-02T10:00:00+08:00"]
    ids = []
    for moment in times:
        item = await approved(client)
        assert (await act(client, item["id"], "schedule", publish_at=moment)).status_code == 200
        ids.append(item["id"])
    draft = await create(client)
    path = f"/v1/communities/{SHANGHAI}/calendar"
    window = {"from": "2027-01-01T00:00:00+08:00", "to": "2027-01-04T00:00:00+08:00"}
    seen = []
    page = (await client.get(path, params={**window, "limit": 2}, headers=actor("reader"))).json()
    seen += page["items"]
    assert page["next_cursor"]
    page = (
        await client.get(
            path,
            params={**window, "limit": 2, "cursor": page["next_cursor"]},
            headers=actor("reader"),
        )
    ).json()
    seen += page["items"]
    assert page["next_cursor"] is None
    assert [item["id"] for item in seen] == [ids[1], ids[2], ids[0]]
    assert draft["id"] not in {item["id"] for item in seen}
    narrow = {"from": "2027-01-02T00:00:00+08:00", "to": "2027-01-03T00:00:00+08:00"}
    only = (await client.get(path, params=narrow, headers=actor("reader"))).json()["items"]
    assert [item["id"] for item in only] == [ids[2]]
    assert_problem(
        await client.get(path, params={"from": "yesterday"}, headers=actor("reader")),
        422,
        field="from",
    )
    assert_problem(
        await client.get(
            path, params={"from": window["to"], "to": window["from"]}, headers=actor("reader")
        ),
        422,
        field="to",
    )
    assert_problem(await client.get(path, headers=actor("mallory")), 404)


async def test_polls_take_one_vote_per_member_and_show_live_results(
    client: httpx.AsyncClient, broker: str
) -> None:
    path = f"/v1/communities/{SHANGHAI}/content"
    no_options = {"kind": "poll", "title": "下次读什么?", "body": "投票", "source": "official"}
    assert_problem(
        await client.post(path, json=no_options, headers=actor("editor")), 422, field="poll_options"
    )
    assert_problem(
        await client.post(
            path, json={**no_options, "poll_options": ["A", "A"]}, headers=actor("editor")
        ),
        422,
        field="poll_options",
    )
    poll = await approved(
        client,
        by="editor",
        kind="poll",
        source="official",
        poll_options=["《活着》", "《三体》 🚀"],
    )
    votes = f"/v1/content/{poll['id']}/votes"
    ballot = {"member_id": member_id_of("reader"), "option": "《三体》 🚀"}
    assert assert_problem(await client.post(votes, json=ballot, headers=actor("reader")), 409)[
        "type"
    ].endswith("/poll-not-open")
    await act(client, poll["id"], "publish")
    first = await client.post(votes, json=ballot, headers=actor("reader"))
    assert first.status_code == 201, first.text
    assert first.json()["poll"]["results"] == {"《活着》": 0, "《三体》 🚀": 1}
    again = await client.post(votes, json={**ballot, "option": "《活着》"}, headers=actor("reader"))
    assert assert_problem(again, 409)["type"].endswith("/already-voted")
    assert_problem(await client.post(votes, json=ballot, headers=actor("writer")), 403)
    assert_problem(
        await client.post(
            votes,
            json={"member_id": member_id_of("writer"), "option": "C"},
            headers=actor("writer"),
        ),
        422,
        field="option",
    )
    assert_problem(await client.post(votes, json=ballot, headers=actor("mallory")), 404)
    second = {"member_id": member_id_of("writer"), "option": "《活着》"}
    assert (await client.post(votes, json=second, headers=actor("writer"))).status_code == 201
    fetched = (await client.get(f"/v1/content/{poll['id']}", headers=actor("reader"))).json()
    assert fetched["poll"] == {
        "options": ["《活着》", "《三体》 🚀"],
        "results": {"《活着》": 1, "《三体》 🚀": 1},
        "votes": 2,
    }
    story = await approved(client)
    await act(client, story["id"], "publish")
    not_poll = await client.post(
        f"/v1/content/{story['id']}/votes", json=ballot, headers=actor("reader")
    )
    assert assert_problem(not_poll, 409)["type"].endswith("/not-a-poll")
    events = await KafkaProbe(broker).events(
        "huoli.content", type="poll.voted", count=2, where=lambda e: e["subject"] == poll["id"]
    )
    assert {event["data"]["member_id"] for event in events} == {
        member_id_of("reader"),
        member_id_of("writer"),
    }


async def test_an_urgent_announcement_is_published_at_once_and_flagged_not_rejected(
    client: httpx.AsyncClient, broker: str
) -> None:
    """Owner and admin only (an editor or a member → 403); no slot, no review; screened, and a
    hit (here an ad phrase, which the default settings reject in review) only flags it. NUL in
    the title or an unknown field → 422, nothing published."""
    path = f"/v1/communities/{BERLIN}/urgent-announcements"
    body = {"title": "紧急通知 Urgent", "body": "群内出现诈骗:有人冒充管理员让大家加微信,请勿相信!"}
    for by in ("editor", "writer"):
        assert_problem(await client.post(path, json=body, headers=actor(by)), 403)
    for bad in ({**body, "title": "a\u0000"}, {**body, "when": "now"}, {"title": "x"}):
        assert_problem(await client.post(path, json=bad, headers=actor("admin")), 422)
    published = await client.post(path, json=body, headers=actor("admin"))
    assert published.status_code == 201, published.text
    item = published.json()
    assert (item["kind"], item["source"], item["status"]) == (
        "announcement",
        "official",
        "published",
    )
    assert item["flagged"] is True
    assert item["screening"] == [{"rule": "ads", "match": "加微信"}]
    assert item["published_at"] is not None
    calendar = await client.get(f"/v1/communities/{BERLIN}/calendar", headers=actor("reader"))
    assert [entry["id"] for entry in calendar.json()["items"]] == [item["id"]]
    async with KafkaProbe(broker) as probe:
        events = await probe.events(
            "huoli.content", count=3, where=lambda e: e["subject"] == item["id"]
        )
    assert [e["type"] for e in events] == [
        "content.created",
        "content.published",
        "content.flagged",
    ]
    assert events[1]["data"]["urgent"] is True
    assert events[1]["data"]["scheduled_at"] is None
