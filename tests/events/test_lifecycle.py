"""Events: what they need, who manages them, draft → published → completed | cancelled, and the
scheduler that completes them once however many replicas run it."""

import asyncio
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from services.common.db import create_engine, session_factory
from services.events.events.workers import run_due_jobs
from services.events.tables import messaging
from tests.events.helpers import (
    COMMUNITY,
    Service,
    at,
    event_fields,
    events_service,
    published_event,
    register,
)
from tests.support import actor, assert_problem, eventually, member_id_of

service = events_service(scheduler_poll_seconds=3600)


async def outbox_events(service: Service, event_type: str) -> list[dict[str, Any]]:
    outbox = messaging.outbox
    async with service.app.state.runtime.read_sessions() as session:
        # In write order: PostgreSQL returns rows the relay updated in another order otherwise.
        query = select(outbox.c.payload).order_by(outbox.c.seq)
        payloads = (await session.execute(query)).scalars().all()
    events = [orjson.loads(payload) for payload in payloads]
    return [event for event in events if event["type"] == event_type]


async def test_the_format_decides_what_is_required(service: Service) -> None:
    path = f"/v1/communities/{COMMUNITY}/events"
    online = event_fields(format="online", location=None)
    assert_problem(await service.client.post(path, json=online, headers=actor()), 422, field="url")
    offline = event_fields(location=None)
    problem = assert_problem(
        await service.client.post(path, json=offline, headers=actor()), 422, field="location"
    )
    assert "offline" in problem["errors"][0]["msg"]
    too_long = event_fields(starts_at=at(days=1), ends_at=at(days=40))
    assert_problem(
        await service.client.post(path, json=too_long, headers=actor()), 422, field="ends_at"
    )
    window = event_fields(claim_window_hours=0)
    assert_problem(
        await service.client.post(path, json=window, headers=actor()),
        422,
        field="claim_window_hours",
    )
    ok = event_fields(format="online", location=None, url="https://live.example.com/读书")
    assert (await service.client.post(path, json=ok, headers=actor())).status_code == 201


async def test_publish_and_cancel_with_a_reason_naming_the_registrants(service: Service) -> None:
    client = service.client
    event = await published_event(client, capacity=1)
    assert event["status"] == "published"
    event_id = event["id"]
    again = assert_problem(
        await client.post(f"/v1/events/{event_id}/publish", headers=actor()), 409
    )
    assert again["type"].endswith("/illegal-transition")
    assert (await register(client, event_id, "member")).json()["status"] == "confirmed"
    assert (await register(client, event_id, "alice")).json()["status"] == "waitlisted"

    cancel = f"/v1/events/{event_id}/cancel"
    by_member = await client.post(cancel, json={"reason": "x"}, headers=actor("member"))
    assert assert_problem(by_member, 403)["type"].endswith("/role-required")
    assert_problem(await client.post(cancel, json={}, headers=actor()), 422, field="reason")
    assert_problem(
        await client.post(cancel, json={"reason": " "}, headers=actor()), 422, field="reason"
    )
    cancelled = await client.post(cancel, json={"reason": "台风天 🌀"}, headers=actor("officer"))
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "cancelled",
        "台风天 🌀",
    )
    assert_problem(await client.post(cancel, json={"reason": "x"}, headers=actor()), 409)
    assert_problem(await client.post(f"/v1/events/{event_id}/publish", headers=actor()), 409)
    assert_problem(await register(client, event_id, "bob"), 409)

    [announced] = await outbox_events(service, "event.cancelled")
    data = announced["data"]
    assert data["event_id"] == event_id
    assert data["reason"] == "台风天 🌀"
    assert data["registrant_member_ids"] == [member_id_of("member"), member_id_of("alice")]
    assert data["cancelled_by"] == "officer"
    [published] = await outbox_events(service, "event.published")
    assert published["data"]["event_id"] == event_id


async def test_only_organisers_publish(service: Service) -> None:
    created = await service.client.post(
        f"/v1/communities/{COMMUNITY}/events", json=event_fields(), headers=actor("officer")
    )
    path = f"/v1/events/{created.json()['id']}/publish"
    assert assert_problem(await service.client.post(path, headers=actor("member")), 403)
    hidden = assert_problem(await service.client.post(path, headers=actor("mallory")), 404)
    assert hidden["type"].endswith("/event-not-found")
    assert (await service.client.post(path, headers=actor("owner"))).status_code == 200


async def test_lists_filter_by_start_and_status(service: Service) -> None:
    client = service.client
    soon = await published_event(client, starts_at=at(days=1), ends_at=at(days=1, hours=1))
    later = await published_event(client, starts_at=at(days=9), ends_at=at(days=9, hours=1))
    path = f"/v1/communities/{COMMUNITY}/events"

    async def listed(**params: str) -> list[str]:
        response = await client.get(path, params=params, headers=actor("member"))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await listed(**{"from": at(days=5)}) == [later["id"]]
    assert await listed(to=at(days=5)) == [soon["id"]]
    assert await listed(**{"from": at(hours=1), "to": at(days=30)}) == [soon["id"], later["id"]]
    assert await listed(status="published", to=at(days=5)) == [soon["id"]]
    assert await listed(status="cancelled") == []
    assert_problem(
        await client.get(path, params={"from": "tomorrow"}, headers=actor()), 422, field="from"
    )
    assert_problem(
        await client.get(path, params={"to": "2026-12-01T00:00:00"}, headers=actor()),
        422,
        field="to",
    )


async def test_two_replicas_complete_an_ended_event_once(service: Service) -> None:
    client = service.client
    ended = await published_event(client, starts_at=at(hours=-3), ends_at=at(minutes=-1))
    running = await published_event(client, starts_at=at(hours=-1), ends_at=at(hours=1))
    outbox = service.app.state.runtime.outbox
    engines = [create_engine(service.database_url) for _ in range(2)]
    try:
        done = await asyncio.gather(
            *(run_due_jobs(session_factory(engine), outbox) for engine in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(done) == 1
    status = (await client.get(f"/v1/events/{ended['id']}", headers=actor())).json()["status"]
    assert status == "completed"
    status = (await client.get(f"/v1/events/{running['id']}", headers=actor())).json()["status"]
    assert status == "published"
    [completed] = await outbox_events(service, "event.completed")
    assert completed["data"]["event_id"] == ended["id"]
    assert (completed["data"]["registered"], completed["data"]["attended"]) == (0, 0)
    assert_problem(
        await client.post(
            f"/v1/events/{ended['id']}/cancel", json={"reason": "x"}, headers=actor()
        ),
        409,
    )


fast_scheduler = events_service(scheduler_poll_seconds=0.2)


async def test_the_scheduler_completes_events_at_their_end(fast_scheduler: Service) -> None:
    client: httpx.AsyncClient = fast_scheduler.client
    event = await published_event(client, starts_at=at(hours=-1), ends_at=at(seconds=1))

    async def completed() -> None:
        got = await client.get(f"/v1/events/{event['id']}", headers=actor())
        assert got.json()["status"] == "completed"

    await eventually(completed, timeout=10)
