"""Two instances of every service and two gateways on PostgreSQL and the real broker: they serve
the same data, the scoring instances share the ledger's partitions, one is killed mid-stream and
the other takes its partitions over with every activity applied exactly once, and the scheduled
jobs (the content publisher, the tier policy, event completion, period close, webhook retries)
run once, not once per instance.

PostgreSQL only: SQLite is one file per service, not how one scales out."""

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from fastapi import FastAPI, Request, Response
from sqlalchemy import text

from devstack.stack import SERVICES, Stack
from gateway.identity.tokens import issue_token
from services.common.components import GATEWAY
from services.common.db import create_engine
from tests.conftest import create_postgres_database, drop_postgres_database, postgres_host_url
from tests.e2e.conftest import INTERNAL_SECRET, JWT_SECRET
from tests.gateway.fakes import serving
from tests.support import KafkaProbe, eventually

pytestmark = pytest.mark.e2e

COMPONENTS = (*SERVICES, GATEWAY)
PARTITIONS = 6
LEDGER_GROUP = "scoring.ledger"
LAG_SAMPLE = re.compile(r"^huoli_consumer_lag\{(?P<labels>[^}]*)\} ", flags=re.MULTILINE)


def auth(user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user_id, secret=JWT_SECRET)}"}


OWNER = auth("owner")


@dataclass
class ScaledSystem:
    stack: Stack
    gateway_a: httpx.AsyncClient  # in front of the first instances
    gateway_b: httpx.AsyncClient  # in front of the second instances
    scoring_replica: str  # the second scoring instance's key in stack.processes
    scoring_database_url: str
    bootstrap_servers: str


@pytest.fixture(scope="module")
async def scaled(
    tmp_path_factory: pytest.TempPathFactory, postgres_available: bool
) -> AsyncIterator[ScaledSystem]:
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable on this machine (CI always has it)")
    workdir = tmp_path_factory.mktemp("scale-out")
    created = [await create_postgres_database() for _ in COMPONENTS]
    database_urls = {
        component.name: f"{postgres_host_url()}/{name}"
        for component, name in zip(COMPONENTS, created, strict=True)
    }
    stack = Stack(
        env={
            "JWT_SECRET": JWT_SECRET,
            "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
            "HUOLI_ENV": "test",
            "KAFKA_BOOTSTRAP_SERVERS": "",
            "LOG_LEVEL": "INFO",
            "GATEWAY_RATE_LIMIT_PER_SECOND": "100000",
            "GATEWAY_RATE_LIMIT_BURST": "100000",
            # Both instances of each scheduler poll often, so they race for the same work.
            "MEMBERS_TIER_POLICY_POLL_SECONDS": "0.3",
            "EVENTS_SCHEDULER_POLL_SECONDS": "0.3",
            "SCORING_PERIOD_CLOSE_POLL_SECONDS": "0.3",
            # Webhooks to the test's own receiver on loopback, retried within seconds.
            "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
            "GATEWAY_WEBHOOK_RETRY_SCHEDULE_SECONDS": "[0, 0.5, 1, 2, 4]",
        },
        database_urls=database_urls,
        log_dir=workdir / "logs",
    )

    def start_two_of_each() -> str:
        stack.start_all()
        replicas = {service.name: stack.start_replica(service.name) for service in SERVICES}
        stack.start_replica(GATEWAY.name)  # upstreams: the replicas just started
        return replicas["scoring"]

    try:
        scoring_replica = await asyncio.to_thread(start_two_of_each)
        gateway_b_url = stack.url(f"{GATEWAY.name}-2")
        async with (
            httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as gateway_a,
            httpx.AsyncClient(base_url=gateway_b_url, timeout=30) as gateway_b,
        ):
            yield ScaledSystem(
                stack=stack,
                gateway_a=gateway_a,
                gateway_b=gateway_b,
                scoring_replica=scoring_replica,
                scoring_database_url=database_urls["scoring"],
                bootstrap_servers=stack.bootstrap_servers,
            )
    finally:
        await asyncio.to_thread(stack.stop_all)
        for name in created:
            await drop_postgres_database(name)


async def create_community(gateway: httpx.AsyncClient, name: str = "活力跑团 🏃") -> str:
    response = await gateway.post("/v1/communities", json={"name": name}, headers=OWNER)
    assert response.status_code == 201, response.text
    community_id: str = response.json()["id"]
    return community_id


async def owner_member_id(gateway: httpx.AsyncClient, community_id: str) -> str:
    listed = await gateway.get(f"/v1/communities/{community_id}/members", headers=OWNER)
    assert listed.status_code == 200, listed.text
    (owner,) = [m for m in listed.json()["items"] if m["role"] == "owner"]
    member_id: str = owner["id"]
    return member_id


def partition_of(community_id: str) -> int:
    """The partition the relay's producer puts a community's events on (Kafka's default
    partitioner over the key, which is the community id)."""
    everything = list(range(PARTITIONS))
    partition: int = DefaultPartitioner()(community_id.encode(), everything, everything)
    return partition


async def ledger_partitions(url: str) -> set[int]:
    """The ledger partitions an instance has consumed from (its /metrics lag gauges)."""
    async with httpx.AsyncClient(timeout=10) as client:
        exposition = (await client.get(f"{url}/metrics")).text
    held: set[int] = set()
    for match in LAG_SAMPLE.finditer(exposition):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group("labels")))
        if labels.get("group") == LEDGER_GROUP:
            held.add(int(labels["partition"]))
    return held


async def ledger_count(database_url: str, community_ids: list[str]) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT community_id FROM ledger_entry WHERE activity_type = 'share'")
            )
            wanted = set(community_ids)
            return sum(1 for (community_id,) in rows if community_id in wanted)
    finally:
        await engine.dispose()


async def activity_applied(database_url: str, community_id: str, activity_id: str) -> bool:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text(
                    "SELECT count(*) FROM ledger_entry"
                    " WHERE community_id = :cid AND activity_id = :aid"
                ),
                {"cid": community_id, "aid": activity_id},
            )
    finally:
        await engine.dispose()
    return bool(found)


START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def shares(community_id: str, member_id: str, tag: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{tag}-{n}",
            "community_id": community_id,
            "member_id": member_id,
            "type": "share",
            "occurred_at": (START + timedelta(seconds=61 * n)).isoformat(),
        }
        for n in range(count)
    ]


async def share_count(gateway: httpx.AsyncClient, community_id: str, member_id: str) -> int:
    path = f"/v1/communities/{community_id}/members/{member_id}/engagement"
    response = await gateway.get(path, headers=OWNER)
    assert response.status_code == 200, response.text
    return sum(entry["count"] for entry in response.json()["breakdown"] if entry["type"] == "share")


async def test_two_gateways_in_front_of_two_instances_serve_the_same_data(
    scaled: ScaledSystem,
) -> None:
    community_id = await create_community(scaled.gateway_a, "两个网关")
    through_b = await scaled.gateway_b.get(f"/v1/communities/{community_id}", headers=OWNER)
    assert through_b.status_code == 200, through_b.text
    assert through_b.json()["name"] == "两个网关"

    joined = await scaled.gateway_b.post(
        f"/v1/communities/{community_id}/members",
        json={"user_id": "u-via-b", "display_name": "小北 🌟"},
        headers=auth("u-via-b"),
    )
    assert joined.status_code == 201, joined.text
    listed = await scaled.gateway_a.get(f"/v1/communities/{community_id}/members", headers=OWNER)
    names = {member["id"]: member["display_name"] for member in listed.json()["items"]}
    assert names[joined.json()["id"]] == "小北 🌟"


async def test_scoring_instances_share_the_partitions_and_one_takes_over_when_the_other_dies(
    scaled: ScaledSystem,
) -> None:
    stack = scaled.stack
    # Communities until every partition has at least two.
    communities: dict[str, str] = {}  # community id → its owner's member id
    while True:
        by_partition = [partition_of(c) for c in communities]
        if len(communities) >= 12 and all(by_partition.count(p) >= 2 for p in range(PARTITIONS)):
            break
        gateway = scaled.gateway_a if len(communities) % 2 else scaled.gateway_b
        community_id = await create_community(gateway)
        communities[community_id] = await owner_member_id(gateway, community_id)

    async def every_owner_known_to_scoring() -> None:
        for community_id, member_id in communities.items():
            await share_count(scaled.gateway_a, community_id, member_id)

    await eventually(every_owner_known_to_scoring, timeout=30, interval=0.5)

    accepted: dict[str, int] = dict.fromkeys(communities, 0)
    rounds = iter(range(10_000))

    async def post_round(gateways: list[httpx.AsyncClient], per_community: int = 10) -> None:
        n = next(rounds)
        for index, (community_id, member_id) in enumerate(communities.items()):
            gateway = gateways[index % len(gateways)]
            batch = shares(community_id, member_id, f"r{n}-{community_id}", per_community)
            posted = await gateway.post("/v1/activities", json=batch, headers=OWNER)
            assert posted.status_code == 202, posted.text
            assert posted.json()["duplicates"] == 0
            accepted[community_id] += posted.json()["accepted"]

    both = [scaled.gateway_a, scaled.gateway_b]
    survivor_url = stack.url("scoring")
    replica_url = stack.url(scaled.scoring_replica)

    # Both instances hold a share of the partitions (the group has settled once both report).
    async def both_hold_partitions() -> tuple[set[int], set[int]]:
        await post_round(both, per_community=1)
        first, second = await ledger_partitions(survivor_url), await ledger_partitions(replica_url)
        assert first and second, (first, second)
        assert first | second == set(range(PARTITIONS)), (first, second)
        return first, second

    first, second = await eventually(both_hold_partitions, timeout=40, interval=1)
    print(f"ledger partitions consumed: instance 1 {sorted(first)}, instance 2 {sorted(second)}")

    streamed_at = time.monotonic()
    for _ in range(4):
        await post_round(both)

    # SIGKILL the second instance mid-stream: no goodbye to the group, so the coordinator
    # notices after the session timeout and gives its partitions to the survivor.
    await asyncio.to_thread(stack.processes[scaled.scoring_replica].kill)
    killed_at = time.monotonic()
    orphaned = second - first or second
    sentinel_community = next(c for c in communities if partition_of(c) in orphaned)
    sentinel = shares(sentinel_community, communities[sentinel_community], "sentinel", 1)
    # Only gateway A now: gateway B's scoring upstream is the dead instance.
    posted = await scaled.gateway_a.post("/v1/activities", json=sentinel, headers=OWNER)
    assert posted.json()["accepted"] == 1, posted.text
    accepted[sentinel_community] += 1

    async def sentinel_scored() -> None:
        assert await activity_applied(
            scaled.scoring_database_url, sentinel_community, sentinel[0]["id"]
        )

    # The stream goes on while the group rebalances.
    streaming_on = asyncio.create_task(post_round([scaled.gateway_a]))
    await eventually(sentinel_scored, timeout=45, interval=0.1)
    takeover_seconds = time.monotonic() - killed_at
    await streaming_on
    for _ in range(3):
        await post_round([scaled.gateway_a])
    total = sum(accepted.values())

    async def every_activity_applied_once() -> None:
        assert await ledger_count(scaled.scoring_database_url, list(communities)) == total

    await eventually(every_activity_applied_once, timeout=60, interval=0.5)
    stream_seconds = time.monotonic() - streamed_at
    assert await ledger_partitions(survivor_url) == set(range(PARTITIONS))
    # The folded counts, not just the ledger rows: a redelivered batch counted twice would
    # show here even though the ledger's unique ids refused its rows.
    for community_id, member_id in communities.items():
        assert (
            await share_count(scaled.gateway_a, community_id, member_id) == (accepted[community_id])
        ), community_id
    print(
        f"survivor took over partitions {sorted(orphaned)} {takeover_seconds:.2f} s after the "
        f"SIGKILL; {total} activities over {len(communities)} communities applied exactly once "
        f"in {stream_seconds:.1f} s of streaming"
    )


async def test_the_publisher_publishes_once_with_two_content_instances(
    scaled: ScaledSystem,
) -> None:
    community_id = await create_community(scaled.gateway_a, "排期")
    rules = {"slots": ["08:00"], "max_per_day": 50, "min_gap_minutes": 0, "quiet_hours": None}

    async def rules_set() -> None:
        put = await scaled.gateway_b.put(
            f"/v1/communities/{community_id}/publishing-rules", json=rules, headers=OWNER
        )
        assert put.status_code == 200, put.text

    await eventually(rules_set, timeout=30, interval=0.3)  # content learns of the community

    async def scheduled_item(seconds_ahead: float) -> str:
        created = await scaled.gateway_a.post(
            f"/v1/communities/{community_id}/content",
            json={"kind": "article", "title": "定时", "body": "你好 👋", "source": "official"},
            headers=OWNER,
        )
        assert created.status_code == 201, created.text
        item_id: str = created.json()["id"]
        for step, gateway in (("submit", scaled.gateway_b), ("approve", scaled.gateway_a)):
            moved = await gateway.post(f"/v1/content/{item_id}/{step}", headers=OWNER)
            assert moved.status_code == 200, moved.text
        publish_at = datetime.now(UTC) + timedelta(seconds=seconds_ahead)
        scheduled = await scaled.gateway_b.post(
            f"/v1/content/{item_id}/schedule",
            json={"publish_at": publish_at.isoformat()},
            headers=OWNER,
        )
        assert scheduled.json()["status"] == "scheduled", scheduled.text
        return item_id

    item = await scheduled_item(2)
    later = await scheduled_item(4)
    async with KafkaProbe(scaled.bootstrap_servers) as probe:
        # Once the later item is out, both publishers have long polled past the first one's
        # time: a second publication of it would already be on the topic.
        await probe.events(
            "huoli.content",
            type="content.published",
            where=lambda event: event["data"]["content_id"] == later,
            timeout=30,
        )
    published = await published_event_ids(scaled.bootstrap_servers, {item, later})
    # One event each (one CloudEvent id): the job ran once; and one record each: the two
    # instances' relays take turns on PostgreSQL, so neither sends a row the other sent.
    assert {content_id: len(ids) for content_id, ids in published.items()} == {
        item: 1,
        later: 1,
    }, published


async def published_event_ids(bootstrap_servers: str, item_ids: set[str]) -> dict[str, list[str]]:
    """The CloudEvent ids of each item's content.published records, reading the topic to its
    end."""
    return await event_ids_by(
        bootstrap_servers, "huoli.content", "content.published", "content_id", item_ids
    )


async def event_ids_by(
    bootstrap_servers: str, topic: str, event_type: str, field: str, wanted: set[str]
) -> dict[str, list[str]]:
    """The CloudEvent ids of the `event_type` records on `topic` whose `data[field]` is one of
    `wanted`, reading the topic to its end: a job that ran twice shows as two ids."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: dict[str, list[str]] = {key: [] for key in wanted}

        async def behind() -> bool:
            return any([await consumer.position(p) < ends[p] for p in partitions])

        while await behind():
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event = orjson.loads(record.value)
                    key = event.get("data", {}).get(field)
                    if event.get("type") == event_type and key in found:
                        found[key].append(event["id"])
        return found
    finally:
        await consumer.stop()


# Long enough for both instances' schedulers (polling every 0.3 s) to have passed the work many
# times: a second run would be on the topic by then.
SETTLE_SECONDS = 3.0


async def test_the_scheduled_tier_policy_runs_once_with_two_members_instances(
    scaled: ScaledSystem,
) -> None:
    community_id = await create_community(scaled.gateway_a, "定时升降级")
    base = f"/v1/communities/{community_id}"
    tiers = (await scaled.gateway_a.get(f"{base}/tiers", headers=OWNER)).json()["items"]
    [core] = [tier["id"] for tier in tiers]
    lower = await scaled.gateway_b.post(
        f"{base}/tiers", json={"name": "二群", "rank": 2}, headers=OWNER
    )
    assert lower.status_code == 201, lower.text
    members = []
    for n in range(5):
        joined = await scaled.gateway_a.post(
            f"{base}/members",
            json={"user_id": f"sched-{n}", "display_name": f"成员 {n}", "tier_id": core},
            headers=OWNER,
        )
        assert joined.status_code == 201, joined.text
        members.append(joined.json()["id"])
    # Demotion only: it needs no scores, and a second run in the same period would demote two
    # more of the five.
    policy = {"promote_top": 0, "demote_bottom": 2, "purge_inactive_days": 0, "scheduled": True}
    put = await scaled.gateway_b.put(f"{base}/tier-policy", json=policy, headers=OWNER)
    assert put.status_code == 200, put.text

    async with KafkaProbe(scaled.bootstrap_servers) as probe:
        await probe.events(
            "huoli.members",
            type="member.tier_changed",
            count=2,
            where=lambda event: event["communityid"] == community_id,
            timeout=30,
        )
    await asyncio.sleep(SETTLE_SECONDS)
    moved = await event_ids_by(
        scaled.bootstrap_servers, "huoli.members", "member.tier_changed", "member_id", set(members)
    )
    assert sorted(len(set(ids)) for ids in moved.values()) == [0, 0, 0, 1, 1], moved
    listed = await scaled.gateway_a.get(f"{base}/members", params={"limit": 50}, headers=OWNER)
    in_core = [m for m in listed.json()["items"] if m["tier_id"] == core and m["role"] != "owner"]
    assert len(in_core) == 3


async def test_an_ended_event_is_completed_once_with_two_events_instances(
    scaled: ScaledSystem,
) -> None:
    community_id = await create_community(scaled.gateway_a, "活动收尾")
    now = datetime.now(UTC)
    fields = {
        "title": "周末读书会 📚",
        "kind": "salon",
        "format": "offline",
        "location": "上海 · 咖啡馆",
        "starts_at": (now - timedelta(hours=2)).isoformat(),
        "ends_at": (now + timedelta(seconds=2)).isoformat(),
    }

    async def created_event() -> str:
        created = await scaled.gateway_b.post(
            f"/v1/communities/{community_id}/events", json=fields, headers=OWNER
        )
        assert created.status_code == 201, created.text
        event_id: str = created.json()["id"]
        return event_id

    event_id = await eventually(created_event, timeout=30, interval=0.3)  # events learns of it
    published = await scaled.gateway_a.post(f"/v1/events/{event_id}/publish", headers=OWNER)
    assert published.status_code == 200, published.text

    async with KafkaProbe(scaled.bootstrap_servers) as probe:
        await probe.events(
            "huoli.events",
            type="event.completed",
            where=lambda event: event["data"]["event_id"] == event_id,
            timeout=30,
        )
    await asyncio.sleep(SETTLE_SECONDS)
    completed = await event_ids_by(
        scaled.bootstrap_servers, "huoli.events", "event.completed", "event_id", {event_id}
    )
    assert {key: len(set(ids)) for key, ids in completed.items()} == {event_id: 1}, completed
    got = await scaled.gateway_b.get(f"/v1/events/{event_id}", headers=OWNER)
    assert got.json()["status"] == "completed"


async def test_webhook_retries_are_sent_once_with_two_gateways(scaled: ScaledSystem) -> None:
    """Both gateways consume and send; each delivery's first attempt is refused, so each is
    retried from the persisted schedule, which either gateway may pick up: every webhook-id
    arrives exactly twice (the refusal, then the success), never once more per gateway."""
    community_id = await create_community(scaled.gateway_a, "回调重试")
    requests: dict[str, list[int]] = {}  # webhook-id → the statuses answered, in order
    joined_ids: dict[str, str] = {}  # webhook-id → the member the member.joined named

    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        body = orjson.loads(await request.body())
        webhook_id = request.headers["webhook-id"]
        answered = requests.setdefault(webhook_id, [])
        answered.append(503 if not answered else 204)
        joined_ids[webhook_id] = body["data"].get("member_id", "")
        return Response(status_code=answered[-1])

    async with serving(receiver) as receiver_url:

        async def subscribed() -> None:
            created = await scaled.gateway_a.post(
                "/v1/webhooks",
                json={
                    "url": f"{receiver_url}/hook",
                    "event_types": ["member.joined"],
                    "community_id": community_id,
                },
                headers=OWNER,
            )
            assert created.status_code == 201, created.text

        await eventually(subscribed, timeout=30, interval=0.3)  # the gateway learns of it
        member_ids = []
        for n in range(6):
            gateway = (scaled.gateway_a, scaled.gateway_b)[n % 2]
            user = f"hook-{n}-{community_id[-6:]}"
            joined = await gateway.post(
                f"/v1/communities/{community_id}/members",
                json={"user_id": user, "display_name": f"回调 {n} 🔔"},
                headers=auth(user),
            )
            assert joined.status_code == 201, joined.text
            member_ids.append(joined.json()["id"])

        async def every_join_delivered() -> None:
            delivered = {joined_ids[w] for w, statuses in requests.items() if 204 in statuses}
            assert set(member_ids) <= delivered, (member_ids, requests)

        await eventually(every_join_delivered, timeout=60, interval=0.2)
        # Past the rest of the schedule: a delivery sent by both gateways would show by now.
        await asyncio.sleep(SETTLE_SECONDS + 4)
    mine = {w: statuses for w, statuses in requests.items() if joined_ids[w] in member_ids}
    assert len(mine) == len(member_ids), requests
    assert all(statuses == [503, 204] for statuses in mine.values()), requests


async def test_period_close_is_announced_once_with_two_scoring_instances(
    scaled: ScaledSystem,
) -> None:
    stack = scaled.stack
    running = [p for key, p in stack.processes.items() if key.startswith("scoring") and p.alive]
    if len(running) < 2:
        # The takeover test killed the second instance: start another.
        await asyncio.to_thread(stack.start_replica, "scoring")
    community_id = await create_community(scaled.gateway_a, "周期结算")
    engine = create_engine(scaled.scoring_database_url)
    try:

        async def known_to_scoring() -> None:
            async with engine.begin() as connection:
                # Backdated, so the day, week and month before today all had the community:
                # each is due to close now, and the clockworks of both instances race for it.
                moved = await connection.execute(
                    text("UPDATE community SET created_at = :at WHERE id = :cid"),
                    {"at": datetime.now(UTC) - timedelta(days=40), "cid": community_id},
                )
                assert moved.rowcount == 1

        await eventually(known_to_scoring, timeout=30, interval=0.3)
    finally:
        await engine.dispose()

    async with KafkaProbe(scaled.bootstrap_servers) as probe:
        await probe.events(
            "huoli.scoring",
            type="leaderboard.period_closed",
            count=3,
            where=lambda event: event["data"]["community_id"] == community_id,
            timeout=30,
        )
    await asyncio.sleep(SETTLE_SECONDS)
    closed = await event_ids_by(
        scaled.bootstrap_servers,
        "huoli.scoring",
        "leaderboard.period_closed",
        "community_id",
        {community_id},
    )
    assert len(set(closed[community_id])) == 3, closed
