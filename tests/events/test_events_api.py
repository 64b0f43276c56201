"""The events service in-process, on SQLite and PostgreSQL, with the real broker."""

from datetime import datetime
from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from services.common.components import EVENTS
from services.common.pagination import encode_cursor
from services.events.tables import membership
from tests.support import (
    actor,
    assert_problem,
    published_record,
    seed_membership,
    service_client,
)

COMMUNITY = "cmty_01JDREADINGCLUB000000000"


async def seed(app: FastAPI) -> None:
    """The membership projection as the members service would have announced it: in COMMUNITY
    alice is an admin, officer an event officer and member a plain member; officer is an event
    officer of cmty_other too."""
    roles = {"alice": "admin", "officer": "event_officer", "member": "member"}
    await seed_membership(app, membership, COMMUNITY, roles)
    await seed_membership(app, membership, "cmty_other", {"officer": "event_officer"})


client = service_client(EVENTS, prepare=seed, run_consumers=False)


def event_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "读书分享会 📚 Book salon",
        "kind": "salon",
        "format": "offline",
        "location": "上海市徐汇区 · 咖啡馆 ☕",
        "starts_at": "2026-12-05T19:30:00+08:00",
        "ends_at": "2026-12-05T21:30:00+08:00",
        **overrides,
    }


async def create_event(
    client: httpx.AsyncClient, community_id: str = COMMUNITY, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/communities/{community_id}/events",
        json=event_fields(**overrides),
        headers=actor("officer"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_create_and_get_round_trip(client: httpx.AsyncClient) -> None:
    description = "一起读《活着》🌱，欢迎新朋友！\n" * 200 + "🎉"  # noqa: RUF001 - real Chinese text
    created = await create_event(
        client,
        description=description,
        format="online",
        location=None,
        url="https://meeting.example.com/j/123?pwd=读书",
        capacity=30,
        registration_opens_at="2026-11-30T00:00:00Z",
        registration_closes_at="2026-12-05T12:00:00+01:00",
        tier_ids=["tier_core", "tier_two"],
    )
    assert created["id"].startswith("evt_")
    assert created["status"] == "draft"
    assert created["community_id"] == COMMUNITY
    assert created["created_by"] == "officer"
    assert created["title"] == "读书分享会 📚 Book salon"
    assert created["description"] == description
    assert created["url"] == "https://meeting.example.com/j/123?pwd=读书"
    assert created["capacity"] == 30
    assert created["tier_ids"] == ["tier_core", "tier_two"]
    code = created["checkin_code"]
    assert len(code) == 6
    assert code.isdigit()
    # Same instants as sent, shown in UTC with an explicit offset.
    assert instant(created["starts_at"]) == instant("2026-12-05T11:30:00+00:00")
    assert instant(created["ends_at"]) == instant("2026-12-05T13:30:00Z")
    assert instant(created["registration_closes_at"]) == instant("2026-12-05T11:00:00Z")
    assert instant(created["starts_at"]).utcoffset() is not None

    fetched = await client.get(f"/v1/events/{created['id']}", headers=actor("member"))
    assert fetched.status_code == 200
    # Anyone may read the event; the check-in code went to its creator only, and the creator's
    # user id is for staff.
    expected = {key: value for key, value in created.items() if key != "checkin_code"}
    assert fetched.json() == {**expected, "created_by": None}


async def test_optional_fields_default_to_empty(client: httpx.AsyncClient) -> None:
    created = await create_event(client)
    for field in (
        "description",
        "url",
        "capacity",
        "claim_window_hours",
        "cancel_reason",
        "registration_opens_at",
        "registration_closes_at",
    ):
        assert created[field] is None, field
    assert created["tier_ids"] == []


async def test_event_created_is_published_with_the_envelope(
    client: httpx.AsyncClient, broker: str
) -> None:
    created = await create_event(
        client,
        kind="livestream",
        format="online",
        location=None,
        url="https://live.example.com/x",
        capacity=500,
    )
    record = await published_record(broker, "huoli.events", subject=created["id"])
    event = orjson.loads(record.value)
    assert record.key == COMMUNITY.encode()  # one community's events stay in order
    assert event["specversion"] == "1.0"
    assert event["type"] == "event.created"
    assert event["source"] == "huoli/events"
    assert event["communityid"] == COMMUNITY
    assert event["subject"] == created["id"]
    assert event["datacontenttype"] == "application/json"
    assert event["id"]
    assert event["time"]
    data = event["data"]
    assert data["event_id"] == created["id"]
    assert data["community_id"] == COMMUNITY
    assert data["title"] == "读书分享会 📚 Book salon"
    assert (data["kind"], data["format"], data["capacity"]) == ("livestream", "online", 500)
    assert instant(data["starts_at"]) == instant(created["starts_at"])
    assert instant(data["ends_at"]) == instant(created["ends_at"])
    assert "checkin_code" not in data  # webhooks deliver this data to partners


async def test_check_in_codes_are_independent(client: httpx.AsyncClient) -> None:
    codes = {(await create_event(client))["checkin_code"] for _ in range(4)}
    # Four equal 6-digit random codes would be a one-in-10^18 coincidence.
    assert len(codes) > 1


async def test_lists_paginate_with_cursors_and_filter_by_status(
    client: httpx.AsyncClient,
) -> None:
    first_id = (await create_event(client, title="第一场"))["id"]
    second_id = (await create_event(client, title="第二场"))["id"]
    await create_event(client, "cmty_other", title="elsewhere")
    path = f"/v1/communities/{COMMUNITY}/events"

    page_one = await client.get(path, params={"limit": 1}, headers=actor())
    assert page_one.status_code == 200
    assert [item["id"] for item in page_one.json()["items"]] == [first_id]
    assert "checkin_code" not in page_one.json()["items"][0]
    cursor = page_one.json()["next_cursor"]
    assert cursor

    page_two = (
        await client.get(path, params={"limit": 1, "cursor": cursor}, headers=actor())
    ).json()
    assert [item["id"] for item in page_two["items"]] == [second_id]
    assert page_two["items"][0]["title"] == "第二场"
    assert page_two["next_cursor"] is None

    drafts = (await client.get(path, params={"status": "draft"}, headers=actor())).json()
    assert [item["id"] for item in drafts["items"]] == [first_id, second_id]
    published = (await client.get(path, params={"status": "published"}, headers=actor())).json()
    assert published == {"items": [], "next_cursor": None}


async def test_unknown_event_is_not_found(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.get("/v1/events/evt_nope", headers=actor()), 404)
    assert problem["event_id"] == "evt_nope"
    assert problem["type"].endswith("/event-not-found")


async def test_only_organisers_create_events_and_only_members_see_them(
    client: httpx.AsyncClient,
) -> None:
    created = await create_event(client)
    path = f"/v1/communities/{COMMUNITY}/events"
    by_member = await client.post(path, json=event_fields(), headers=actor("member"))
    problem = assert_problem(by_member, 403)
    assert problem["type"].endswith("/role-required")
    assert problem["roles"] == ["admin", "event_officer", "owner"]
    for user in ("owner", "alice", "officer"):
        assert (
            await client.post(path, json=event_fields(), headers=actor(user))
        ).status_code == 201
    admin = actor("root", roles=["platform_admin"])
    assert (await client.post(path, json=event_fields(), headers=admin)).status_code == 201

    seen = await client.get(f"/v1/events/{created['id']}", headers=actor("member"))
    assert seen.status_code == 200
    assert "checkin_code" not in seen.json()

    stranger = actor("mallory")
    for community_id in (COMMUNITY, "cmty_nowhere"):
        where = f"/v1/communities/{community_id}/events"
        for response in (
            await client.get(where, headers=stranger),
            await client.post(where, json=event_fields(), headers=stranger),
        ):
            assert assert_problem(response, 404)["type"].endswith("/community-not-found")
    hidden = assert_problem(await client.get(f"/v1/events/{created['id']}", headers=stranger), 404)
    assert hidden["type"].endswith("/event-not-found")


async def test_times_must_be_aware_and_ordered(client: httpx.AsyncClient) -> None:
    path = f"/v1/communities/{COMMUNITY}/events"
    headers = actor()

    async def post(**overrides: Any) -> httpx.Response:
        return await client.post(path, json=event_fields(**overrides), headers=headers)

    backwards = assert_problem(
        await post(starts_at="2026-12-05T21:30:00+08:00", ends_at="2026-12-05T19:30:00+08:00"),
        422,
        field="ends_at",
    )
    assert "starts_at" in backwards["errors"][0]["msg"]
    assert_problem(
        await post(starts_at="2026-12-05T19:30:00+08:00", ends_at="2026-12-05T11:30:00Z"),
        422,
        field="ends_at",
    )  # the same instant in two offsets: zero length
    naive = assert_problem(await post(starts_at="2026-12-05T19:30:00"), 422, field="starts_at")
    # Refused, saying why and what to send instead.
    assert "has no UTC offset" in naive["errors"][0]["msg"]
    assert "+08:00" in naive["errors"][0]["msg"]
    assert_problem(await post(ends_at="2026-12-05T21:30:00"), 422, field="ends_at")
    assert_problem(await post(starts_at="2026-12-05"), 422, field="starts_at")
    assert_problem(await post(starts_at=1_796_000_000), 422, field="starts_at")
    assert_problem(await post(starts_at="next friday"), 422, field="starts_at")
    assert_problem(
        await post(starts_at="2026-12-05T19:30:00+08:00", ends_at="9999-12-31T23:00:00-05:00"),
        422,
        field="ends_at",
    )
    assert_problem(
        await post(registration_opens_at="2026-12-05T19:00:00"), 422, field="registration_opens_at"
    )
    assert_problem(
        await post(
            registration_opens_at="2026-12-04T00:00:00Z",
            registration_closes_at="2026-12-03T00:00:00Z",
        ),
        422,
        field="registration_closes_at",
    )
    assert_problem(
        await post(registration_closes_at="2026-12-06T00:00:00Z"),
        422,
        field="registration_closes_at",
    )
    assert_problem(
        await post(registration_opens_at="2026-12-06T00:00:00Z"),
        422,
        field="registration_opens_at",
    )

    listed = await client.get(path, headers=headers)
    assert listed.json()["items"] == []  # nothing half-written by any of the above


async def test_bad_input_is_answered_with_problems(client: httpx.AsyncClient) -> None:
    path = f"/v1/communities/{COMMUNITY}/events"
    headers = actor()

    async def post(body: object) -> httpx.Response:
        return await client.post(path, json=body, headers=headers)

    for missing in ("title", "kind", "format", "starts_at", "ends_at"):
        fields = event_fields()
        del fields[missing]
        assert_problem(await post(fields), 422, field=missing)
    assert_problem(await post(event_fields(title=["读书"])), 422, field="title")
    assert_problem(await post(event_fields(title="x" * 201)), 422, field="title")
    assert_problem(await post(event_fields(title=" ")), 422, field="title")
    assert_problem(await post(event_fields(kind="party")), 422, field="kind")
    assert_problem(await post(event_fields(format="hybrid")), 422, field="format")
    assert_problem(await post(event_fields(capacity=0)), 422, field="capacity")
    assert_problem(await post(event_fields(capacity="30")), 422, field="capacity")
    assert_problem(await post(event_fields(capacity=2.5)), 422, field="capacity")
    assert_problem(await post(event_fields(capacity=2**40)), 422, field="capacity")
    assert_problem(await post(event_fields(url="ftp://files.example.com/x")), 422, field="url")
    assert_problem(await post(event_fields(url="javascript:alert(1)")), 422, field="url")
    assert_problem(await post(event_fields(url="https://")), 422, field="url")
    assert_problem(await post(event_fields(tier_ids="tier_core")), 422, field="tier_ids")
    assert_problem(await post(event_fields(status="published")), 422, field="status")
    assert_problem(await post(event_fields(checkin_code="123456")), 422, field="checkin_code")
    assert_problem(await post(event_fields(title="a\x00b")), 422, field="title")
    assert_problem(await post(event_fields(location="\x00")), 422, field="location")
    assert_problem(await post(event_fields(description="\x00")), 422, field="description")
    assert_problem(await post(event_fields(url="https://example.com/\x00")), 422, field="url")
    assert_problem(await post("an event"), 422)
    long_community = await client.post(
        f"/v1/communities/{'c' * 41}/events", json=event_fields(), headers=headers
    )
    assert_problem(long_community, 422, field="community_id")
    assert_problem(
        await client.get(path, params={"status": "open"}, headers=headers), 422, field="status"
    )
    assert_problem(await client.get(path, params={"limit": 0}, headers=headers), 422, field="limit")
    assert_problem(
        await client.get(path, params={"cursor": "%%%"}, headers=headers), 422, field="cursor"
    )
    forged = encode_cursor([{"id": 1}])
    assert_problem(
        await client.get(path, params={"cursor": forged}, headers=headers), 422, field="cursor"
    )
    assert_problem(await client.get("/v1/events/evt%00x", headers=headers), 422, field="event_id")

    listed = await client.get(path, headers=headers)
    assert listed.json()["items"] == []  # nothing half-written by any of the above
