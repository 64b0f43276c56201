"""The iCalendar feed, and erasure: a user's registrations lose the person and keep the count."""

from datetime import datetime

import orjson
from icalendar import Calendar

from services.common.events.catalogue import UserErased
from services.common.events.envelope import CloudEvent
from tests.events.helpers import (
    COMMUNITY,
    Service,
    at,
    event_fields,
    events_service,
    published_event,
    register,
)
from tests.support import actor, assert_problem, eventually, member_id_of, publish_raw

service = events_service(scheduler_poll_seconds=3600)
with_consumers = events_service(scheduler_poll_seconds=3600, run_consumers=True)


async def test_the_feed_lists_events_in_the_community_timezone(service: Service) -> None:
    client = service.client
    kept = await published_event(
        client, title="读书会 📚", starts_at="2026-12-24T11:30:00Z", ends_at="2026-12-24T13:30:00Z"
    )
    called_off = await published_event(
        client, title="徒步", format="online", location=None, url="https://x.example.com/"
    )
    cancelled = await client.post(
        f"/v1/events/{called_off['id']}/cancel", json={"reason": "下雨"}, headers=actor()
    )
    assert cancelled.status_code == 200
    draft = await client.post(
        f"/v1/communities/{COMMUNITY}/events", json=event_fields(), headers=actor()
    )

    path = f"/v1/communities/{COMMUNITY}/events.ics"
    response = await client.get(path, headers=actor("member"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    entries = {str(entry["UID"]): entry for entry in calendar.walk("VEVENT")}
    assert set(entries) == {f"{kept['id']}@huoli", f"{called_off['id']}@huoli"}
    assert f"{draft.json()['id']}@huoli" not in entries
    entry = entries[f"{kept['id']}@huoli"]
    assert str(entry["SUMMARY"]) == "读书会 📚"
    starts = entry.decoded("DTSTART")
    assert isinstance(starts, datetime)
    assert str(starts.tzinfo) == "Asia/Shanghai"
    assert starts == datetime.fromisoformat("2026-12-24T19:30:00+08:00")
    assert entry["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert str(entry["LOCATION"]) == "上海 · 咖啡馆"
    assert str(entries[f"{called_off['id']}@huoli"]["STATUS"]) == "CANCELLED"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    again = Calendar.from_ical((await client.get(path, headers=actor())).content)
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == set(entries)
    hidden = assert_problem(await client.get(path, headers=actor("mallory")), 404)
    assert hidden["type"].endswith("/community-not-found")


async def test_erasure_anonymises_registrations_and_keeps_the_counts(
    with_consumers: Service, broker: str
) -> None:
    client = with_consumers.client
    event = await published_event(client, starts_at=at(minutes=10), ends_at=at(hours=1), capacity=1)
    mine = (await register(client, event["id"], "member")).json()
    assert (await register(client, event["id"], "alice")).json()["status"] == "waitlisted"
    checked = await client.post(
        f"/v1/events/{event['id']}/check-ins",
        json={"member_id": member_id_of("member"), "code": event["checkin_code"]},
        headers=actor("member"),
    )
    assert checked.status_code == 201
    rated = await client.post(
        f"/v1/events/{event['id']}/feedback",
        json={"member_id": member_id_of("member"), "rating": 5, "comment": "我的电话 138…"},
        headers=actor("member"),
    )
    assert rated.status_code == 201
    report_before = (await client.get(f"/v1/events/{event['id']}/report", headers=actor())).json()

    erased = UserErased(
        community_id=COMMUNITY,
        member_id=member_id_of("member"),
        user_id="member",
        erased_at=datetime.fromisoformat(at()),
    )
    envelope = CloudEvent(
        source="huoli/members",
        type=erased.type,
        subject=erased.subject(),
        communityid=COMMUNITY,
        data=erased.model_dump(mode="json"),
    )
    await publish_raw(
        broker, "huoli.members", envelope.model_dump_json().encode(), key=COMMUNITY.encode()
    )

    path = f"/v1/events/{event['id']}/registrations"

    async def anonymised() -> None:
        items = (await client.get(path, headers=actor())).json()["items"]
        by_id = {item["id"]: item for item in items}
        assert by_id[mine["id"]]["member_id"] is None

    await eventually(anonymised, timeout=30)
    items = (await client.get(path, headers=actor())).json()["items"]
    assert [item["status"] for item in items] == ["confirmed", "waitlisted"]
    assert items[1]["member_id"] == member_id_of("alice")
    report_after = (await client.get(f"/v1/events/{event['id']}/report", headers=actor())).json()
    assert report_after == report_before
    assert orjson.dumps(items).find(b'"m-member"') == -1


async def test_a_secret_feed_address_serves_the_calendar_named_after_the_community(
    with_consumers: Service, broker: str
) -> None:
    client = with_consumers.client
    await published_event(client, title="读书会 📚")
    manage = f"/v1/communities/{COMMUNITY}/calendar-feed"
    assert_problem(await client.get(manage, headers=actor("member")), 404)
    assert_problem(await client.post(manage, headers=actor("member")), 403)
    created = await client.post(manage, headers=actor())
    assert created.status_code == 201, created.text
    path = created.json()["path"]
    assert path.startswith("/v1/calendar-feeds/") and path.endswith(".ics")
    # Members read the address back, to subscribe with.
    assert (await client.get(manage, headers=actor("member"))).json()["path"] == path

    # No credentials: a calendar app cannot sign in.
    feed = await client.get(path)
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")] == [
        "读书会 📚"
    ]

    # Named after the community, as the members service announces it.
    renamed = CloudEvent(
        source="huoli/members",
        type="community.updated",
        subject=COMMUNITY,
        communityid=COMMUNITY,
        data={
            "community_id": COMMUNITY,
            "name": "周末读书会",
            "join_policy": "open",
            "timezone": "Asia/Shanghai",
            "owner_user_id": "owner",
            "updated_at": "2026-12-07T12:00:00Z",
        },
    )
    await publish_raw(
        broker, "huoli.members", renamed.model_dump_json().encode(), key=COMMUNITY.encode()
    )

    async def named() -> None:
        calendar = Calendar.from_ical((await client.get(path)).content)
        assert str(calendar["X-WR-CALNAME"]) == "周末读书会"
        assert str(calendar["NAME"]) == "周末读书会"

    await eventually(named, timeout=20)

    # A new address replaces the old; revoking ends it; an unknown one is the same 404.
    rotated = (await client.post(manage, headers=actor("alice"))).json()["path"]
    assert rotated != path
    gone = assert_problem(await client.get(path), 404)
    assert gone["type"].endswith("/calendar-feed-not-found")
    assert (await client.get(rotated)).status_code == 200
    assert_problem(await client.delete(manage, headers=actor("member")), 403)
    assert (await client.delete(manage, headers=actor())).status_code == 204
    assert_problem(await client.get(rotated), 404)
    assert_problem(await client.delete(manage, headers=actor()), 404)
    assert_problem(await client.get("/v1/calendar-feeds/not-a-feed"), 422)
