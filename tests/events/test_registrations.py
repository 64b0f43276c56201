"""Registration: seats, a FIFO waitlist, promotion, the claim window, and who may register."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from services.events.events.workers import run_due_jobs
from services.events.tables import Registration
from tests.events.helpers import (
    COMMUNITY,
    CORE_TIER,
    Service,
    add_members,
    at,
    event_fields,
    events_service,
    published_event,
    register,
)
from tests.events.test_lifecycle import outbox_events
from tests.support import actor, assert_problem, member_id_of

service = events_service(scheduler_poll_seconds=3600)


async def test_seats_then_a_fifo_waitlist_and_promotion(service: Service) -> None:
    client = service.client
    event_id = (await published_event(client, capacity=2))["id"]
    answers = [
        await register(client, event_id, user) for user in ("member", "alice", "bob", "officer")
    ]
    assert [a.status_code for a in answers] == [201] * 4
    bodies = [a.json() for a in answers]
    assert [b["status"] for b in bodies] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [b["waitlist_position"] for b in bodies] == [None, None, 1, 2]
    assert bodies[0]["member_id"] == member_id_of("member")

    twice = assert_problem(await register(client, event_id, "bob"), 409)
    assert twice["type"].endswith("/already-registered")

    path = f"/v1/events/{event_id}/registrations"
    freed = await client.delete(f"{path}/{bodies[0]['id']}", headers=actor("member"))
    assert freed.status_code == 200, freed.text
    assert freed.json()["status"] == "cancelled"
    assert_problem(await client.delete(f"{path}/{bodies[0]['id']}", headers=actor("member")), 409)

    listed = (await client.get(path, headers=actor("member"))).json()["items"]
    states = [(item["member_id"], item["status"], item["waitlist_position"]) for item in listed]
    assert states == [
        (member_id_of("member"), "cancelled", None),
        (member_id_of("alice"), "confirmed", None),
        (member_id_of("bob"), "confirmed", None),
        (member_id_of("officer"), "waitlisted", 1),
    ]
    page = await client.get(path, params={"limit": 3}, headers=actor())
    rest = await client.get(path, params={"cursor": page.json()["next_cursor"]}, headers=actor())
    assert [item["member_id"] for item in rest.json()["items"]] == [member_id_of("officer")]

    [promoted] = await outbox_events(service, "registration.promoted")
    assert promoted["data"]["member_id"] == member_id_of("bob")
    assert promoted["data"]["status"] == "confirmed"
    confirmed = await outbox_events(service, "registration.confirmed")
    assert [(e["data"]["member_id"], e["data"]["promoted"]) for e in confirmed] == [
        (member_id_of("member"), False),
        (member_id_of("alice"), False),
        (member_id_of("bob"), True),
    ]
    waitlisted = await outbox_events(service, "registration.waitlisted")
    assert [e["data"]["waitlist_position"] for e in waitlisted] == [1, 2]
    [cancelled] = await outbox_events(service, "registration.cancelled")
    assert cancelled["data"]["previous_status"] == "confirmed"
    assert cancelled["data"]["reason"] == "cancelled"


async def test_fifty_at_once_for_ten_seats(service: Service) -> None:
    users = [f"racer{index:02d}" for index in range(50)]
    await add_members(service.app, users)
    event_id = (await published_event(service.client, capacity=10))["id"]
    answers = await asyncio.gather(*(register(service.client, event_id, user) for user in users))
    assert all(answer.status_code == 201 for answer in answers), [a.text for a in answers]
    confirmed = [a.json() for a in answers if a.json()["status"] == "confirmed"]
    waitlisted = [a.json() for a in answers if a.json()["status"] == "waitlisted"]
    assert len(confirmed) == 10
    assert sorted(a["waitlist_position"] for a in waitlisted) == list(range(1, 41))
    listed = await service.client.get(
        f"/v1/events/{event_id}/registrations", params={"limit": 200}, headers=actor()
    )
    items = listed.json()["items"]
    # Arrival order: the first ten to take the event's lock have the seats, the rest queue
    # behind them in the order they came.
    assert [item["status"] for item in items] == ["confirmed"] * 10 + ["waitlisted"] * 40
    assert [item["waitlist_position"] for item in items[10:]] == list(range(1, 41))
    by_id = {a["id"]: a for a in waitlisted}
    assert [by_id[item["id"]]["waitlist_position"] for item in items[10:]] == list(range(1, 41))
    times = [item["registered_at"] for item in items]
    assert times == sorted(times)


async def test_who_may_register_and_when(service: Service) -> None:
    client = service.client
    event_id = (await published_event(client, tier_ids=[CORE_TIER]))["id"]
    tiered = assert_problem(await register(client, event_id, "bob"), 403)
    assert tiered["type"].endswith("/tier-not-allowed")
    other = assert_problem(await register(client, event_id, "alice", by="member"), 403)
    assert other["type"].endswith("/not-your-own")
    assert (await register(client, event_id, "member", by="officer")).status_code == 201
    stranger = assert_problem(await register(client, event_id, "mallory"), 404)
    assert stranger["type"].endswith("/event-not-found")
    unknown = assert_problem(await register(client, event_id, "ghost", by="alice"), 404)
    assert unknown["type"].endswith("/member-not-found")
    assert_problem(
        await client.post(
            f"/v1/events/{event_id}/registrations", json={"member_id": 7}, headers=actor()
        ),
        422,
        field="member_id",
    )

    draft = await client.post(
        f"/v1/communities/{COMMUNITY}/events", json=event_fields(), headers=actor()
    )
    not_open = assert_problem(await register(client, draft.json()["id"], "member"), 409)
    assert not_open["type"].endswith("/event-not-open")
    later = await published_event(client, registration_opens_at=at(days=1))
    too_early = assert_problem(await register(client, later["id"], "member"), 409)
    assert too_early["type"].endswith("/outside-window")
    closed = await published_event(
        client, starts_at=at(hours=-1), ends_at=at(hours=1), registration_closes_at=at(minutes=-5)
    )
    assert_problem(await register(client, closed["id"], "member"), 409)


async def test_an_offered_seat_is_confirmed_or_passes_on(service: Service) -> None:
    client = service.client
    event_id = (await published_event(client, capacity=1, claim_window_hours=2))["id"]
    first = (await register(client, event_id, "member")).json()
    second = (await register(client, event_id, "alice")).json()
    third = (await register(client, event_id, "officer")).json()
    path = f"/v1/events/{event_id}/registrations"
    assert (
        await client.delete(f"{path}/{first['id']}", headers=actor("officer"))
    ).status_code == 200
    listed = {i["id"]: i for i in (await client.get(path, headers=actor())).json()["items"]}
    offer = listed[second["id"]]
    assert offer["status"] == "offered"
    offered_until = datetime.fromisoformat(offer["offered_until"])
    assert timedelta(hours=1, minutes=59) < offered_until - datetime.now(UTC) <= timedelta(hours=2)
    assert listed[third["id"]]["waitlist_position"] == 1
    [promoted] = await outbox_events(service, "registration.promoted")
    assert promoted["data"]["status"] == "offered"
    assert await outbox_events(service, "registration.confirmed") == [
        e
        for e in await outbox_events(service, "registration.confirmed")
        if not e["data"]["promoted"]
    ]

    # The offer runs out: the scheduler passes the seat to the next in line.
    async with service.app.state.runtime.sessions() as session:
        await session.execute(
            update(Registration)
            .where(Registration.id == second["id"])  # type: ignore[arg-type]
            .values(offered_until=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    outbox = service.app.state.runtime.outbox
    assert await run_due_jobs(service.app.state.runtime.sessions, outbox) == 1
    listed = {i["id"]: i for i in (await client.get(path, headers=actor())).json()["items"]}
    assert listed[second["id"]]["status"] == "expired"
    assert listed[third["id"]]["status"] == "offered"
    late = assert_problem(
        await client.post(f"{path}/{second['id']}/confirm", headers=actor("alice")), 409
    )
    assert late["type"].endswith("/registration-inactive")
    expired = [
        e
        for e in await outbox_events(service, "registration.cancelled")
        if e["data"]["reason"] == "claim_expired"
    ]
    assert [e["data"]["member_id"] for e in expired] == [member_id_of("alice")]

    # The next one confirms in time.
    assert_problem(await client.post(f"{path}/{third['id']}/confirm", headers=actor("member")), 403)
    taken = await client.post(f"{path}/{third['id']}/confirm", headers=actor("officer"))
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "confirmed"
    promoted_confirmations = [
        e for e in await outbox_events(service, "registration.confirmed") if e["data"]["promoted"]
    ]
    assert [e["data"]["member_id"] for e in promoted_confirmations] == [member_id_of("officer")]
