"""What organisers and members read back and change after creating it (issue 21): an event's
check-in code, seats and edits before the start, feedback comments, a lottery's commitment,
pool and result, 打卡 challenges; and a mute that keeps a member from registering and checking
in until it ends."""

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from services.events.tables import Event, membership
from tests.events.helpers import (
    COMMUNITY,
    Service,
    add_members,
    at,
    event_fields,
    events_service,
    published_event,
    register,
)
from tests.events.test_lifecycle import outbox_events
from tests.support import actor, assert_problem, member_id_of, mute_in_projection

service = events_service(scheduler_poll_seconds=3600)


async def test_organisers_read_the_check_in_code_later_and_members_do_not(
    service: Service,
) -> None:
    client = service.client
    event = await published_event(client)
    url = f"/v1/events/{event['id']}/check-in-code"
    read = await client.get(url, headers=actor("alice"))
    assert read.status_code == 200, read.text
    assert read.json() == {"event_id": event["id"], "checkin_code": event["checkin_code"]}
    assert "checkin_code" not in (await client.get(f"/v1/events/{event['id']}")).json()
    # The organiser's user id is for staff and the organiser themself.
    as_member = (await client.get(f"/v1/events/{event['id']}", headers=actor("member"))).json()
    assert as_member["created_by"] is None
    as_staff = (await client.get(f"/v1/events/{event['id']}", headers=actor("alice"))).json()
    assert as_staff["created_by"] == "officer"
    listed = await client.get(f"/v1/communities/{COMMUNITY}/events", headers=actor("member"))
    assert {item["created_by"] for item in listed.json()["items"]} == {None}
    assert_problem(await client.get(url, headers=actor("member")), 403)
    assert_problem(await client.get(url, headers=actor("stranger")), 404)


async def test_events_show_their_seats(service: Service) -> None:
    client = service.client
    event_id = (await published_event(client, capacity=2))["id"]
    for user in ("member", "alice", "bob"):
        assert (await register(client, event_id, user)).status_code == 201
    read = (await client.get(f"/v1/events/{event_id}", headers=actor("member"))).json()
    assert (read["capacity"], read["confirmed"], read["waitlisted"], read["seats_left"]) == (
        2,
        2,
        1,
        0,
    )
    listed = await client.get(f"/v1/communities/{COMMUNITY}/events", headers=actor("member"))
    mine = next(item for item in listed.json()["items"] if item["id"] == event_id)
    assert (mine["confirmed"], mine["waitlisted"], mine["seats_left"]) == (2, 1, 0)
    unlimited = await published_event(client)
    assert (unlimited["confirmed"], unlimited["waitlisted"], unlimited["seats_left"]) == (
        0,
        0,
        None,
    )


async def test_organisers_edit_an_event_before_it_starts(service: Service) -> None:
    client = service.client
    event_id = (await published_event(client, capacity=1))["id"]
    await register(client, event_id, "member")
    await register(client, event_id, "bob")
    url = f"/v1/events/{event_id}"
    assert_problem(await client.patch(url, json={"title": "x"}, headers=actor("member")), 403)
    assert_problem(await client.patch(url, json={"title": "x"}, headers=actor("stranger")), 404)
    # A larger capacity seats the waitlist at once.
    edited = await client.patch(
        url, json={"title": "改期 Moved", "capacity": 3}, headers=actor("officer")
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["title"], body["capacity"], body["confirmed"], body["waitlisted"]) == (
        "改期 Moved",
        3,
        2,
        0,
    )
    # Others hear of it: event.updated names what changed.
    [updated] = await outbox_events(service, "event.updated")
    assert (updated["data"]["changed"], updated["data"]["capacity"]) == (["title", "capacity"], 3)
    unchanged = await client.patch(url, json={"title": "改期 Moved"}, headers=actor("officer"))
    assert unchanged.status_code == 200
    assert len(await outbox_events(service, "event.updated")) == 1
    # Bad edits: the whole event is checked as at creation (422 naming the field), a capacity
    # below the seats taken is a 409, unknown fields and wrong types a 422.
    assert_problem(
        await client.patch(url, json={"ends_at": at(days=1)}, headers=actor("officer")),
        422,
        field="ends_at",
    )
    assert_problem(
        await client.patch(url, json={"location": None}, headers=actor("officer")),
        422,
        field="location",
    )
    too_small = assert_problem(
        await client.patch(url, json={"capacity": 1}, headers=actor("officer")), 409
    )
    assert too_small["type"].endswith("/capacity-below-seats")
    assert_problem(await client.patch(url, json={"kind": "talk"}, headers=actor("officer")), 422)
    assert_problem(await client.patch(url, json={"capacity": "3"}, headers=actor("officer")), 422)
    # Once it has started, it stays as members registered for it.
    async with service.app.state.runtime.sessions() as session:
        await session.execute(
            update(Event)
            .where(Event.id == event_id)  # type: ignore[arg-type]
            .values(starts_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        await session.commit()
    started = assert_problem(
        await client.patch(url, json={"title": "late"}, headers=actor("officer")), 409
    )
    assert started["type"].endswith("/event-started")
    cancelled = await published_event(client)
    await client.post(
        f"/v1/events/{cancelled['id']}/cancel", json={"reason": "雨"}, headers=actor("officer")
    )
    assert_problem(
        await client.patch(
            f"/v1/events/{cancelled['id']}", json={"title": "x"}, headers=actor("officer")
        ),
        409,
    )


async def test_organisers_read_feedback_comments(service: Service) -> None:
    client = service.client
    event = await published_event(client, starts_at=at(minutes=10), ends_at=at(hours=2))
    event_id = event["id"]
    await register(client, event_id, "member")
    checked = await client.post(
        f"/v1/events/{event_id}/check-ins",
        json={"member_id": member_id_of("member"), "code": event["checkin_code"]},
        headers=actor("member"),
    )
    assert checked.status_code == 201, checked.text
    given = await client.post(
        f"/v1/events/{event_id}/feedback",
        json={"member_id": member_id_of("member"), "rating": 4, "comment": "很好 great"},
        headers=actor("member"),
    )
    assert given.status_code == 201, given.text
    url = f"/v1/events/{event_id}/feedback"
    read = await client.get(url, headers=actor("officer"))
    assert read.status_code == 200, read.text
    [item] = read.json()["items"]
    assert (item["member_id"], item["rating"], item["comment"]) == (
        member_id_of("member"),
        4,
        "很好 great",
    )
    assert_problem(await client.get(url, headers=actor("member")), 403)
    assert_problem(await client.get(url, headers=actor("stranger")), 404)


async def test_members_read_a_lottery_commitment_pool_and_result(service: Service) -> None:
    client = service.client
    event_id = (await published_event(client))["id"]
    for user in ("member", "alice", "bob"):
        await register(client, event_id, user)
    committed = await client.post(
        f"/v1/events/{event_id}/lottery/commit",
        json={"winners": 2, "pool": "registrants", "prize": "书"},
        headers=actor("officer"),
    )
    lottery_id = committed.json()["id"]
    url = f"/v1/events/{event_id}/lottery/{lottery_id}"
    before = (await client.get(url, headers=actor("member"))).json()
    assert before["status"] == "committed"
    assert before["seed_sha256"] == committed.json()["seed_sha256"]
    assert (before["seed"], before["winners"], before["drawn_at"]) == (None, None, None)
    pool = sorted(member_id_of(user) for user in ("member", "alice", "bob"))
    assert before["pool_member_ids"] == pool
    await client.post(f"/v1/events/{event_id}/lottery/{lottery_id}/draw", headers=actor("officer"))
    # The pool stays as drawn, whatever happens to the registrations afterwards.
    await register(client, event_id, "officer")
    after = (await client.get(url, headers=actor("member"))).json()
    assert (after["status"], after["pool_member_ids"], after["pool_size"]) == ("drawn", pool, 3)
    seed = bytes.fromhex(after["seed"])
    assert hashlib.sha256(seed).hexdigest() == after["seed_sha256"]
    recomputed = sorted(pool, key=lambda m: (hashlib.sha256(seed + m.encode()).hexdigest(), m))[:2]
    assert after["winners"] == recomputed
    listed = await client.get(f"/v1/events/{event_id}/lottery", headers=actor("bob"))
    assert [item["id"] for item in listed.json()["items"]] == [lottery_id]
    assert_problem(await client.get(url, headers=actor("stranger")), 404)
    assert_problem(
        await client.get(f"/v1/events/{event_id}/lottery/lot_nope", headers=actor("member")), 404
    )


async def test_members_list_and_read_challenges(service: Service) -> None:
    client = service.client
    fields = {"title": "早起打卡", "days": 21, "starts_on": datetime.now(UTC).date().isoformat()}
    created = await client.post(
        f"/v1/communities/{COMMUNITY}/challenges", json=fields, headers=actor("officer")
    )
    challenge_id = created.json()["id"]
    read = await client.get(f"/v1/challenges/{challenge_id}", headers=actor("member"))
    # The creator's user id is for staff (and the creator): a plain member reads null.
    assert read.json() == {**created.json(), "created_by": None}
    by_staff = await client.get(f"/v1/challenges/{challenge_id}", headers=actor("alice"))
    assert by_staff.json() == created.json()
    listed = await client.get(
        f"/v1/communities/{COMMUNITY}/challenges?limit=1", headers=actor("member")
    )
    assert [item["id"] for item in listed.json()["items"]] == [challenge_id]
    assert_problem(await client.get(f"/v1/challenges/{challenge_id}", headers=actor("x")), 404)
    assert_problem(
        await client.get(f"/v1/communities/{COMMUNITY}/challenges", headers=actor("x")), 404
    )


async def mute(service: Service, user_id: str, until: datetime) -> None:
    await mute_in_projection(service.app, membership, COMMUNITY, user_id, until)


async def test_a_muted_member_neither_registers_nor_checks_in_until_the_mute_ends(
    service: Service,
) -> None:
    client = service.client
    await add_members(service.app, ["quiet", "early"])
    event = await published_event(
        client, **event_fields(starts_at=at(minutes=10), ends_at=at(hours=2))
    )
    event_id = event["id"]
    await register(client, event_id, "early")
    until = datetime.now(UTC) + timedelta(hours=24)
    await mute(service, "quiet", until)
    await mute(service, "early", until)
    refused = assert_problem(await register(client, event_id, "quiet"), 403)
    assert refused["type"].endswith("/member-muted")
    assert datetime.fromisoformat(refused["muted_until"]) == until
    # Not through an organiser either, nor a check-in or a 打卡.
    assert_problem(await register(client, event_id, "quiet", by="officer"), 403)
    check_in = await client.post(
        f"/v1/events/{event_id}/check-ins",
        json={"member_id": member_id_of("early"), "code": event["checkin_code"]},
        headers=actor("early"),
    )
    assert assert_problem(check_in, 403)["type"].endswith("/member-muted")
    challenge = await client.post(
        f"/v1/communities/{COMMUNITY}/challenges",
        json={"title": "t", "days": 3, "starts_on": datetime.now(UTC).date().isoformat()},
        headers=actor("officer"),
    )
    card = await client.post(
        f"/v1/challenges/{challenge.json()['id']}/check-ins",
        json={"member_id": member_id_of("quiet")},
        headers=actor("quiet"),
    )
    assert assert_problem(card, 403)["type"].endswith("/member-muted")
    # Reading is still theirs.
    assert (await client.get(f"/v1/events/{event_id}", headers=actor("quiet"))).status_code == 200
    # A mute that has ended blocks nothing, with no event needed to say so.
    await mute(service, "quiet", datetime.now(UTC) - timedelta(seconds=1))
    assert (await register(client, event_id, "quiet")).status_code == 201
