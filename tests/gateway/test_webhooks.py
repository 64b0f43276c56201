"""Webhooks end to end in one process: events published on the real broker, the gateway's
consumer and sender, and a local receiver that verifies every delivery with the
`standardwebhooks` package. Retry delays are shortened; the schedule itself is unit-tested."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import insert, update
from standardwebhooks import Webhook, WebhookVerificationError

from gateway.app import create_app
from gateway.tables import membership, webhook_endpoint
from gateway.webhooks.repository import prune_deliveries
from gateway.webhooks.rules import next_delay, retry_after
from services.common.components import GATEWAY
from services.common.events.catalogue import MemberJoined, topic_of
from services.common.events.envelope import CloudEvent
from tests.conftest import MigratedDatabases
from tests.gateway.fakes import bearer, free_port, gateway_settings, serving
from tests.support import (
    KafkaProbe,
    assert_problem,
    eventually,
    publish_raw,
    running_service,
    seed_membership,
)

ADMIN = bearer("root", roles=("platform_admin",))
OWNER = bearer("olga")
# Short enough for a test, long enough for a receiver to come back before the last attempt.
FAST_SCHEDULE = (0, 0.2, 0.5, 1, 2, 4, 8, 8)
SHORT_SCHEDULE = (0, 0.1, 0.1)


@dataclass
class Receiver:
    """A webhook endpoint that verifies each request's signatures with every secret it knows
    and records what came, answering as `answers` says (then 204)."""

    secrets: list[str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    unverified: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            headers = dict(request.headers)
            record = {"headers": headers, "body": orjson.loads(body), "raw": body}
            verified_by = []
            for secret in self.secrets:
                try:
                    Webhook(secret).verify(body, headers)
                    verified_by.append(secret)
                except WebhookVerificationError:
                    pass
            record["verified_by"] = verified_by
            (self.received if verified_by else self.unverified).append(record)
            if self.answers:
                status, extra = self.answers.pop(0)
                return Response(status_code=status, headers=extra)
            return Response(status_code=204)

        @app.post("/elsewhere")
        async def elsewhere() -> Response:
            raise AssertionError("a redirect was followed")

        return app

    def ids(self) -> list[str]:
        return [record["headers"]["webhook-id"] for record in self.received]


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    broker: str


@asynccontextmanager
async def started(
    upstream_urls: dict[str, str],
    broker: str,
    schedule: tuple[float, ...],
    *,
    consuming: bool = False,
    database_url: str | None = None,
) -> AsyncIterator[Gateway]:
    settings = gateway_settings(
        upstream_urls,
        **({"database_url": database_url} if database_url else {}),
        kafka_bootstrap_servers=broker,
        run_consumers=consuming,
        webhook_allow_private_urls=True,
        webhook_retry_schedule_seconds=schedule,
        webhook_timeout_seconds=1.0,
    )
    app = create_app(settings)
    async with running_service(app) as client:
        await seed_membership(
            app, membership, "c1", {"adam": "admin", "mia": "member"}, owner="olga"
        )
        yield Gateway(app, client, broker)


@pytest.fixture
async def gateway(upstream_urls: dict[str, str], broker: str) -> AsyncIterator[Gateway]:
    """Sends what is queued here (pings, announcements); consumes nothing."""
    async with started(upstream_urls, broker, FAST_SCHEDULE) as running:
        yield running


@pytest.fixture
async def consuming_gateway(
    upstream_urls: dict[str, str],
    broker: str,
    backend: str,
    migrated_databases: MigratedDatabases,
    tmp_path: Path,
) -> AsyncIterator[Gateway]:
    """Consumes the broker's topics too (group gateway.webhooks); on each database backend,
    since the fan-out and the sender's leases and batches are written per dialect."""
    async with (
        migrated_databases.copy(backend, GATEWAY, tmp_path) as database_url,
        started(
            upstream_urls, broker, FAST_SCHEDULE, consuming=True, database_url=database_url
        ) as running,
    ):
        yield running


@pytest.fixture
async def short_gateway(upstream_urls: dict[str, str], broker: str) -> AsyncIterator[Gateway]:
    """Three attempts, 0.1 s apart."""
    async with started(upstream_urls, broker, SHORT_SCHEDULE) as running:
        yield running


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiving = Receiver()
    async with serving(receiving.app()) as url:
        receiving.url = f"{url}/hook"
        yield receiving


async def subscribe(
    gateway: Gateway, url: str, *, headers: dict[str, str] = OWNER, **fields: Any
) -> dict[str, Any]:
    body = {"url": url, "event_types": ["member.joined"], "community_id": "c1", **fields}
    response = await gateway.client.post("/v1/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def publish_joins(broker: str, community_id: str, count: int) -> list[str]:
    """`count` member.joined events of a community on the broker; their event ids."""
    ids = []
    for n in range(count):
        event = MemberJoined(
            community_id=community_id,
            member_id=f"m-{uuid.uuid4().hex[:8]}",
            user_id=f"u-{n}-{uuid.uuid4().hex[:6]}",
            display_name=f"成员 {n} 🎉",
            status="active",
            role="member",
            joined_at=datetime.now(UTC),
        )
        envelope = CloudEvent(
            source="huoli/members",
            type=event.type,
            subject=event.member_id,
            communityid=community_id,
            data=event.model_dump(mode="json"),
        )
        await publish_raw(
            broker, "huoli.members", envelope.model_dump_json().encode(), key=community_id.encode()
        )
        ids.append(envelope.id)
    return ids


async def deliveries(gateway: Gateway, webhook_id: str) -> list[dict[str, Any]]:
    response = await gateway.client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=OWNER)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_events_reach_the_endpoint_signed_in_order_once_each(
    consuming_gateway: Gateway, receiver: Receiver
) -> None:
    gateway = consuming_gateway
    created = await subscribe(gateway, receiver.url)
    assert created["secret"].startswith("whsec_")
    receiver.secrets.append(created["secret"])
    event_ids = await publish_joins(gateway.broker, "c1", 5)
    await publish_joins(gateway.broker, "c-other", 2)  # another community: not subscribed

    async def all_arrived() -> None:
        assert receiver.ids() == event_ids

    await eventually(all_arrived)
    assert receiver.unverified == []
    first = receiver.received[0]
    assert first["body"]["type"] == "member.joined"
    assert first["body"]["data"]["community_id"] == "c1"
    assert first["body"]["data"]["display_name"] == "成员 0 🎉"
    assert datetime.fromisoformat(first["body"]["timestamp"]).tzinfo is not None
    log = await deliveries(gateway, created["id"])
    assert {item["status"] for item in log} == {"succeeded"}
    assert all(item["attempt_log"][0]["status_code"] == 204 for item in log)


async def test_a_receiver_down_then_up_gets_every_event_once(
    consuming_gateway: Gateway, receiver: Receiver
) -> None:
    gateway = consuming_gateway
    port = free_port()
    created = await subscribe(gateway, f"http://127.0.0.1:{port}/hook")
    receiver.secrets.append(created["secret"])
    event_ids = await publish_joins(gateway.broker, "c1", 4)

    async def attempted_and_failed() -> None:
        log = await deliveries(gateway, created["id"])
        assert log
        # The oldest is tried; the others wait their turn (one community's order).
        head = max(log, key=lambda item: item["attempts"])
        assert head["attempts"] >= 2, log
        assert head["attempt_log"][0]["status_code"] is None

    await eventually(attempted_and_failed)
    async with serving(receiver.app(), port=port):

        async def all_arrived() -> None:
            assert sorted(set(receiver.ids())) == sorted(event_ids)

        await eventually(all_arrived)
    assert receiver.ids() == event_ids  # each once, and in order
    assert receiver.unverified == []


async def test_a_rotated_secret_signs_beside_the_new_one(
    gateway: Gateway, receiver: Receiver
) -> None:
    created = await subscribe(gateway, receiver.url, event_types=["webhook.ping"])
    rotated = await gateway.client.patch(
        f"/v1/webhooks/{created['id']}", json={"rotate_secret": True}, headers=OWNER
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"]
    receiver.secrets.extend([created["secret"], new_secret])
    pinged = await gateway.client.post(f"/v1/webhooks/{created['id']}/ping", headers=OWNER)
    assert pinged.status_code == 202

    async def arrived() -> None:
        assert len(receiver.received) == 1

    await eventually(arrived)
    [record] = receiver.received
    assert record["headers"]["webhook-id"] == pinged.json()["event_id"]
    assert record["body"]["type"] == "webhook.ping"
    assert len(record["headers"]["webhook-signature"].split(" ")) == 2
    assert set(record["verified_by"]) == {created["secret"], new_secret}


async def test_failures_retry_honouring_retry_after_and_3xx_is_a_failure(
    gateway: Gateway, receiver: Receiver
) -> None:
    created = await subscribe(gateway, receiver.url, event_types=["webhook.ping"])
    receiver.secrets.append(created["secret"])
    elsewhere = receiver.url.replace("/hook", "/elsewhere")
    receiver.answers = [(503, {"Retry-After": "1"}), (302, {"Location": elsewhere}), (500, {})]
    await gateway.client.post(f"/v1/webhooks/{created['id']}/ping", headers=OWNER)

    async def delivered() -> dict[str, Any]:
        [item] = await deliveries(gateway, created["id"])
        assert item["status"] == "succeeded", item
        return item

    item = await eventually(delivered)
    codes = [attempt["status_code"] for attempt in item["attempt_log"]]
    assert codes == [503, 302, 500, 204]
    # The same webhook-id on every attempt.
    assert len(set(receiver.ids())) == 1 and len(receiver.received) == 4
    times = [datetime.fromisoformat(a["attempted_at"]) for a in item["attempt_log"]]
    assert times[1] - times[0] >= timedelta(seconds=0.95)  # Retry-After: 1, not the 0.2 s


async def test_a_delivery_fails_after_the_last_attempt_and_can_be_redelivered(
    short_gateway: Gateway, receiver: Receiver
) -> None:
    gateway = short_gateway
    created = await subscribe(gateway, receiver.url, event_types=["webhook.ping"])
    receiver.secrets.append(created["secret"])
    receiver.answers = [(500, {})] * len(SHORT_SCHEDULE)
    since = datetime.now(UTC).isoformat()
    await gateway.client.post(f"/v1/webhooks/{created['id']}/ping", headers=OWNER)

    async def failed() -> dict[str, Any]:
        [item] = await deliveries(gateway, created["id"])
        assert item["status"] == "failed", item
        return item

    item = await eventually(failed)
    assert item["attempts"] == len(SHORT_SCHEDULE)
    again = await gateway.client.post(
        f"/v1/webhooks/{created['id']}/redeliver", json={"since": since}, headers=OWNER
    )
    assert again.json() == {"redelivered": 1}

    async def succeeded() -> None:
        [item] = await deliveries(gateway, created["id"])
        assert item["status"] == "succeeded", item

    await eventually(succeeded)
    one = await gateway.client.post(
        f"/v1/webhooks/{created['id']}/deliveries/{item['id']}/redeliver", headers=OWNER
    )
    assert one.status_code == 202 and one.json() == {"redelivered": 1}
    await eventually(succeeded)
    assert len(receiver.received) == len(SHORT_SCHEDULE) + 2
    assert len(set(receiver.ids())) == 1


async def test_410_disables_the_endpoint_and_tells_the_others(
    gateway: Gateway, receiver: Receiver
) -> None:
    gone = await subscribe(gateway, receiver.url, event_types=["webhook.ping"])
    watcher = await subscribe(
        gateway, receiver.url.replace("/hook", "/hook?watcher=1"), event_types=["webhook.disabled"]
    )
    receiver.secrets.extend([gone["secret"], watcher["secret"]])
    receiver.answers = [(410, {})]
    await gateway.client.post(f"/v1/webhooks/{gone['id']}/ping", headers=OWNER)

    async def disabled() -> None:
        state = (await gateway.client.get(f"/v1/webhooks/{gone['id']}", headers=OWNER)).json()
        assert state["enabled"] is False and "410" in state["disabled_reason"], state
        assert [r["body"]["type"] for r in receiver.received] == [
            "webhook.ping",
            "webhook.disabled",
        ]

    await eventually(disabled)
    announcement = receiver.received[1]
    assert announcement["body"]["data"]["webhook_id"] == gone["id"]
    assert announcement["verified_by"] == [watcher["secret"]]
    [item] = await deliveries(gateway, gone["id"])
    assert item["status"] == "failed" and item["attempts"] == 1
    # The same event reaches Kafka through the gateway's outbox, under the id it was sent with.
    [published] = await KafkaProbe(gateway.broker).events(
        topic_of(GATEWAY.name),
        type="webhook.disabled",
        where=lambda event: event["subject"] == gone["id"],
    )
    assert published["id"] == announcement["headers"]["webhook-id"]
    assert published["source"] == f"huoli/{GATEWAY.name}"
    assert published["communityid"] == "c1"
    assert published["data"] == announcement["body"]["data"]
    assert published["data"]["url"] == receiver.url


async def test_five_days_of_failure_disable_an_endpoint(
    gateway: Gateway, receiver: Receiver
) -> None:
    created = await subscribe(gateway, receiver.url, event_types=["webhook.ping"])
    async with gateway.app.state.runtime.sessions() as session:
        await session.execute(
            update(webhook_endpoint)
            .where(webhook_endpoint.c.id == created["id"])
            .values(failing_since=datetime.now(UTC) - timedelta(days=5, minutes=1))
        )
        await session.commit()
    receiver.answers = [(500, {})]
    await gateway.client.post(f"/v1/webhooks/{created['id']}/ping", headers=OWNER)

    async def disabled() -> None:
        state = (await gateway.client.get(f"/v1/webhooks/{created['id']}", headers=OWNER)).json()
        assert state["enabled"] is False and "5 days" in state["disabled_reason"], state

    await eventually(disabled)


async def test_a_slow_endpoint_times_out(gateway: Gateway) -> None:
    app = FastAPI()

    @app.post("/slow")
    async def slow() -> Response:
        await asyncio.sleep(3)
        return Response(status_code=204)

    async with serving(app) as url:
        created = await subscribe(gateway, f"{url}/slow", event_types=["webhook.ping"])
        await gateway.client.post(f"/v1/webhooks/{created['id']}/ping", headers=OWNER)

        async def timed_out() -> None:
            [item] = await deliveries(gateway, created["id"])
            assert item["attempt_log"], item
            attempt = item["attempt_log"][0]
            assert attempt["status_code"] is None and "no answer" in attempt["error"]

        await eventually(timed_out)


async def test_event_types_publish_each_schema(gateway: Gateway) -> None:
    response = await gateway.client.get("/v1/event-types", headers=bearer("anyone"))
    assert response.status_code == 200
    types = {item["type"]: item for item in response.json()["items"]}
    assert {"member.joined", "content.published", "webhook.ping", "webhook.disabled"} <= set(types)
    joined = types["member.joined"]
    assert joined["source"] == "members"
    assert "community_id" in joined["schema"]["properties"]
    assert_problem(await gateway.client.get("/v1/event-types"), 401)


async def test_who_may_manage_which_webhooks(gateway: Gateway, receiver: Receiver) -> None:
    mine = await subscribe(gateway, receiver.url)
    everything = await subscribe(gateway, receiver.url, headers=ADMIN, community_id=None)
    assert everything["community_id"] is None
    path = f"/v1/webhooks/{mine['id']}"
    adam, mia, stranger = bearer("adam"), bearer("mia"), bearer("stranger")
    assert (await gateway.client.get(path, headers=adam)).status_code == 200
    for outsider in (mia, stranger):
        assert_problem(await gateway.client.get(path, headers=outsider), 404)
        assert_problem(await gateway.client.delete(path, headers=outsider), 404)
    listed = await gateway.client.get("/v1/webhooks", headers=OWNER)
    assert [item["id"] for item in listed.json()["items"]] == [mine["id"]]
    assert "secret" not in listed.json()["items"][0]
    assert len((await gateway.client.get("/v1/webhooks", headers=ADMIN)).json()["items"]) == 2
    assert_problem(await gateway.client.get(f"/v1/webhooks/{everything['id']}", headers=OWNER), 404)
    # Only platform admins subscribe to every community; members need owner or admin.
    body = {"url": receiver.url, "event_types": ["member.joined"]}
    assert_problem(
        await gateway.client.post("/v1/webhooks", json=body, headers=OWNER),
        422,
        field="community_id",
    )
    assert_problem(
        await gateway.client.post("/v1/webhooks", json={**body, "community_id": "c1"}, headers=mia),
        403,
    )
    unknown = {**body, "community_id": "c1", "event_types": ["member.exploded"]}
    assert_problem(
        await gateway.client.post("/v1/webhooks", json=unknown, headers=OWNER),
        422,
        field="event_types",
    )
    assert (await gateway.client.delete(path, headers=adam)).status_code == 204
    assert_problem(await gateway.client.get(path, headers=OWNER), 404)


def test_the_retry_schedule_and_retry_after() -> None:
    schedule = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    for attempts, expected in enumerate(schedule[1:], start=1):
        delay = next_delay(schedule, attempts, None)
        assert delay is not None and expected * 0.9 <= delay <= expected * 1.1
    assert next_delay(schedule, len(schedule), None) is None
    assert next_delay(schedule, 1, 60) == 60  # Retry-After asks for longer than 5 s
    assert next_delay(schedule, 2, 60) is not None and next_delay(schedule, 2, 60) >= 270  # type: ignore[operator]
    assert next_delay(schedule, 1, 10**9) == 36000  # but never parks a delivery for ever
    now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    assert retry_after("120", now=now) == 120
    assert retry_after("Sun, 29 Nov 2026 08:01:00 GMT", now=now) == 60
    assert retry_after("soon", now=now) is None


async def test_finished_deliveries_leave_the_log_after_its_retention(
    gateway: Gateway, receiver: Receiver
) -> None:
    created = await subscribe(gateway, receiver.url, event_types=["webhook.ping"])
    await gateway.client.post(f"/v1/webhooks/{created['id']}/ping", headers=OWNER)

    async def succeeded() -> None:
        [item] = await deliveries(gateway, created["id"])
        assert item["status"] == "succeeded", item

    await eventually(succeeded)
    async with gateway.app.state.runtime.sessions() as session:
        kept = await prune_deliveries(session, created_before=datetime.now(UTC) - timedelta(days=1))
        pruned = await prune_deliveries(session, created_before=datetime.now(UTC) + timedelta(1))
        await session.commit()
    assert (kept, pruned) == (0, 1)
    assert await deliveries(gateway, created["id"]) == []


async def test_the_gateway_publishes_its_pending_events_as_it_stops(
    upstream_urls: dict[str, str], broker: str
) -> None:
    """The gateway's outbox relay has a last pass at shutdown, as a service's has: an event
    written just before (here without waking the relay, which polls every 2 s) is on Kafka once
    the gateway has stopped, not at its next start."""
    settings = gateway_settings(
        upstream_urls,
        kafka_bootstrap_servers=broker,
        run_consumers=False,
        outbox_poll_seconds=2.0,
    )
    app = create_app(settings)
    envelope = CloudEvent(
        source=f"huoli/{GATEWAY.name}",
        type="webhook.disabled",
        subject=f"wh_{uuid.uuid4().hex}",
        communityid="c1",
        data={},
    )
    async with running_service(app):
        runtime = app.state.runtime
        async with runtime.sessions() as session:
            await session.execute(
                insert(runtime.outbox.table).values(
                    event_id=envelope.id,
                    topic=topic_of(GATEWAY.name),
                    message_key="c1",
                    payload=envelope.model_dump_json(),
                    created_at=datetime.now(UTC),
                )
            )
            await session.commit()
    # The app has stopped: nothing publishes any more; the event is there or it is lost.
    [published] = await KafkaProbe(broker).events(
        topic_of(GATEWAY.name), type="webhook.disabled", where=lambda e: e["id"] == envelope.id
    )
    assert published["subject"] == envelope.subject
