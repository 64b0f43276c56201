"""The scoring service's numbers, in one run (`make bench-scoring`):

1. consume: the same `activity.recorded` messages on the embedded broker read by a bare
   aiokafka consumer (commit per `getmany`) and by scoring's ledger consumer (the real
   `BatchInboxConsumer` + `apply_batch`: inbox, ledger, scores, boards, tallies), events/s each;
2. read: `GET …/leaderboard?limit=50` (top-50, with the caller's own rank) on a community of
   100,000 ranked members, straight at the service, p50/p99 (before the ingestion, so the
   service is otherwise idle);
3. ingest: batches of activities POSTed through the gateway to the scoring service (its own
   process, its ledger consumer running) at a fixed concurrency for a while, activities/s, and
   the latency from a POST to the change showing on the leaderboard (p50/p95/p99), measured by
   a probe beside the load.

    .venv/bin/python bench/scoring_bench.py [--events 100000] [--ingest-seconds 20]
        [--concurrency 4] [--batch 500] [--rate 5000] [--members 100000] [--read-seconds 5]

SQLite in a temporary directory (the default database). Every process it starts is stopped on
exit, also on Ctrl-C or SIGTERM.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, NamedTuple

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.common import (  # noqa: E402
    INTERNAL_SECRET,
    actor_headers,
    reporting_failures,
    stop_on_signals,
)
from bench.load import Call, LoadGenerator  # noqa: E402
from bench.scoring_floor import Floor, sqlite_floor  # noqa: E402
from devstack.broker import EmbeddedBroker  # noqa: E402
from devstack.processes import ManagedProcess, free_port, uvicorn_argv, wait_for_http  # noqa: E402
from gateway.identity.tokens import issue_token  # noqa: E402
from services.common.db import create_engine, session_factory  # noqa: E402
from services.common.events.catalogue import ActivityRecorded, CommunityCreated, MemberJoined  # noqa: E402
from services.common.events.envelope import CloudEvent  # noqa: E402
from services.common.events.kafka import KafkaLink  # noqa: E402
from services.common.events.outbox import Outbox  # noqa: E402
from services.common.membership.repository import save_community, save_membership  # noqa: E402
from services.common.migrations import upgrade_to_head  # noqa: E402
from services.scoring.engagement import rules as engagement_rules  # noqa: E402
from services.scoring.leaderboards import rules as ranks  # noqa: E402
from services.scoring.ledger.consumer import BatchInboxConsumer  # noqa: E402
from services.scoring.ledger.handlers import LEDGER_CONSUMER, LEDGER_KEYED_EVENTS, apply_batch  # noqa: E402
from services.scoring.settings import ScoringSettings  # noqa: E402
from services.scoring.tables import (  # noqa: E402  # noqa: E402
    board_table,
    bucket_table,
    key_bucket_table,
    membership,
    messaging,
    score_table,
)

ALEMBIC_INI = ROOT / "services" / "scoring" / "alembic.ini"
OWNER = "bench-owner"
BOARD_COLUMNS = ("community_id", "period", "period_start", "scope", "member_id")
BUCKET_COLUMNS = ("community_id", "period", "period_start", "scope", "bucket")
CONSUME_COMMUNITIES = 50
TYPES = ("message", "reply", "reaction", "share", "content_view", "checkin")


class Rate(NamedTuple):
    """Events a second of wall time, and per second of this process's CPU time (all its
    threads: SQLite's work included, a PostgreSQL server's and the broker's not). On a shared
    machine the wall figure moves with the neighbours' load; the CPU figure much less."""

    per_second: float
    per_cpu_second: float


def rate(count: int, started: float, cpu_started: float) -> Rate:
    return Rate(
        count / (time.perf_counter() - started), count / (time.process_time() - cpu_started)
    )


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- 1. consume --------------------------------------------------------------------------------


WORKLOADS = ("uniform", "zipf")
MEMBERS = 100_000
ZIPF_S = 1.1
# The realistic mix of activity types: mostly talk, then reactions, replies, reading.
ZIPF_TYPES = (
    ("message", 0.50),
    ("reaction", 0.25),
    ("reply", 0.10),
    ("content_view", 0.10),
    ("share", 0.03),
    ("checkin", 0.02),
)


def activity_envelope(
    community_id: str, member: int, activity_id: str, kind: str, occurred_at: datetime
) -> bytes:
    event = ActivityRecorded(
        activity_id=activity_id,
        community_id=community_id,
        member_id=f"m-{member}",
        activity_type=kind,
        occurred_at=occurred_at,
    )
    envelope = CloudEvent(
        id=uuid.uuid4().hex,
        source="huoli/scoring",
        type=event.type,
        communityid=community_id,
        data=event.model_dump(mode="json"),
    )
    return envelope.model_dump_json().encode()


def zipf_sampler(rng: random.Random, members: int, s: float) -> Iterator[int]:
    """Member ranks 0… with P(k) ∝ 1/(k+1)^s: the 90-9-1 shape of real communities."""
    weights = [1.0 / (k + 1) ** s for k in range(members)]
    population = range(members)
    while True:
        yield from rng.choices(population, weights=weights, k=4096)


def bench_messages(count: int, workload: str) -> Iterator[tuple[bytes, bytes]]:
    """The (key, value) of each `activity.recorded` the consume part reads: a day's worth of
    activity in time order (a second or two of jitter), over `MEMBERS` members in
    `CONSUME_COMMUNITIES` communities. `uniform`: every member as likely (nearly every event
    a member the batch has not seen: the worst case for rows per event), types in turn;
    `zipf`: members by a Zipf law (s = 1.1), types in a realistic mix."""
    rng = random.Random(7)
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    step = 86400 / count
    ranks = zipf_sampler(rng, MEMBERS, ZIPF_S)
    kinds = [kind for kind, _ in ZIPF_TYPES]
    shares = [share for _, share in ZIPF_TYPES]
    for n in range(count):
        if workload == "zipf":
            member = next(ranks)
            kind = rng.choices(kinds, weights=shares)[0]
        else:
            member = rng.randrange(MEMBERS)
            kind = TYPES[n % len(TYPES)]
        community = f"cmty_bench{member % CONSUME_COMMUNITIES}"
        at = day + timedelta(seconds=n * step + 2 * rng.random())
        # Ids of their own per workload: two workloads may share one database (PostgreSQL).
        activity_id = f"{workload}-{n}"
        yield community.encode(), activity_envelope(community, member, activity_id, kind, at)


async def produce(bootstrap: str, topic: str, count: int, workload: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    try:
        pending = []
        for key, value in bench_messages(count, workload):
            pending.append(await producer.send(topic, value=value, key=key))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def bare_consumer(bootstrap: str, topic: str, count: int) -> Rate:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench.bare.{secrets.token_hex(3)}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        seen, started, cpu_started = 0, time.perf_counter(), time.process_time()
        while seen < count:
            fetched = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += sum(len(part) for part in fetched.values())
            if fetched:
                await consumer.commit()
        return rate(count, started, cpu_started)
    finally:
        await consumer.stop()


async def scoring_consumer(bootstrap: str, database_url: str, count: int) -> Rate:
    settings = ScoringSettings(database_url=database_url, kafka_bootstrap_servers=bootstrap)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    kafka = KafkaLink(settings, ["huoli.activities", "huoli.activities.dlq"])
    done = asyncio.Event()
    seen = 0

    async def counting(uow: Any, items: Any) -> None:
        nonlocal seen
        await apply_batch(uow, items)
        seen += len(items)
        if seen >= count:
            done.set()

    started = cpu_started = 0.0

    def timing_starts() -> None:
        # Timed from the moment its Kafka consumer has started, as the bare one is: the
        # service's start-up (the producer, the topics' metadata: ~5 s on the embedded broker)
        # is not throughput.
        nonlocal started, cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()

    consumer = BatchInboxConsumer(
        spec=LEDGER_CONSUMER,
        batch_handler=counting,
        sessions=sessions,
        outbox=Outbox(messaging, source="scoring"),
        tables=messaging,
        kafka=kafka,
        on_started=timing_starts,
        keyed_types=LEDGER_KEYED_EVENTS,
    )
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(done.wait(), timeout=1800)
        return rate(count, started, cpu_started)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await kafka.close()
        await engine.dispose()


class Consumed(NamedTuple):
    bare: Rate
    scoring: Rate
    floor: Floor | None


def bench_consume(
    bootstrap: str, workdir: Path, count: int, database_url: str | None, workload: str
) -> Consumed:
    """The bare and the ledger consumer on the same messages; on SQLite, also the floor of
    the ledger consumer's writes (bench/scoring_floor.py) on those messages."""
    consume_url = database_url or f"sqlite+aiosqlite:///{workdir / f'consume-{workload}.db'}"
    upgrade_to_head(ini_path=ALEMBIC_INI, database_url=consume_url)
    asyncio.run(produce(bootstrap, "huoli.activities", count, workload))
    bare = asyncio.run(bare_consumer(bootstrap, "huoli.activities", count))
    scoring = asyncio.run(scoring_consumer(bootstrap, consume_url, count))
    if database_url is not None:
        return Consumed(bare, scoring, None)
    floor_db = workdir / f"floor-{workload}.db"
    upgrade_to_head(ini_path=ALEMBIC_INI, database_url=f"sqlite+aiosqlite:///{floor_db}")
    messages = [value for _, value in bench_messages(count, workload)]
    return Consumed(bare, scoring, sqlite_floor(floor_db, messages))


# The targets of issue 25, as ratios to limits measured in the same run.
FLOOR_SHARE_TARGET = 0.8
BARE_SHARE_TARGET = 1 / 15


def report_consume(workload: str, backend: str, count: int, measured: Consumed) -> None:
    print(f"\n1. consume {count} activity.recorded, {workload} workload ({backend})")
    for name, rate_of in (
        ("bare aiokafka consumer", measured.bare),
        ("scoring ledger consumer", measured.scoring),
    ):
        print(
            f"   {name:<27} {rate_of.per_second:>10,.0f} events/s"
            f"   {rate_of.per_cpu_second:>10,.0f} events/CPU-s"
        )
    floor = measured.floor
    if floor is not None:
        print(
            f"   {'floor: its rows, raw sqlite3':<27} {floor.per_second:>10,.0f} events/s"
            f"   {floor.per_cpu_second:>10,.0f} events/CPU-s"
        )
        print(f"     (Python {floor.python_us:.0f} µs/event; statements, µs/event:")
        print(
            "     "
            + ", ".join(
                f"{name} {spent:.1f}"
                + (
                    f" ({floor.rows_per_event[name]:.2f} rows)"
                    if name in floor.rows_per_event
                    else ""
                )
                for name, spent in floor.statement_us.items()
            )
            + f"; {sum(floor.rows_per_event.values()):.2f} rows an event)"
        )
        share = measured.scoring.per_second / floor.per_second
        cpu_share = measured.scoring.per_cpu_second / floor.per_cpu_second
        # On a shared machine the wall-clock ratio moves with the neighbours; the CPU one less.
        print(
            f"   consumer / floor   {share:.2f}, by CPU time {cpu_share:.2f}"
            f"  (target ≥ {FLOOR_SHARE_TARGET})"
        )
    share = measured.scoring.per_second / measured.bare.per_second
    print(
        f"   consumer / bare    1/{1 / share:.1f}"
        f"  (target ≥ 1/{1 / BARE_SHARE_TARGET:.0f} on zipf, SQLite)"
    )


# --- seeding the service's database -----------------------------------------------------------


async def seed(database_url: str, community_id: str, members: int, *, ranked: bool) -> None:
    """A community with `members` members in scoring's projection (and, if `ranked`, each with
    points on the all-time board), written in bulk."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    async with sessions() as session:
        await save_community(
            session,
            membership,
            CommunityCreated(
                community_id=community_id,
                name="bench",
                join_policy="open",
                timezone="Asia/Shanghai",
                owner_user_id=OWNER,
                created_at=now,
            ),
        )
        await save_membership(
            session,
            membership,
            MemberJoined(
                community_id=community_id,
                member_id="m-owner",
                user_id=OWNER,
                display_name="Owner",
                status="active",
                role="owner",
                joined_at=now,
            ),
        )
        rows = [
            {
                "community_id": community_id,
                "user_id": f"u-{i}",
                "member_id": f"m-{i}",
                "display_name": f"成员 {i}",
                "status": "active",
                "role": "member",
                "tier_id": None,
                "joined_at": now,
            }
            for i in range(members)
        ]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(membership.membership), rows[start : start + 5000])
        if ranked:
            boards = [
                {
                    "community_id": community_id,
                    "period": "all",
                    "period_start": "",
                    "scope": "*",
                    "member_id": f"m-{i}",
                    "score_milli": (i * 7919) % 1_000_000 + 1,
                }
                for i in range(members)
            ]
            scores = [
                {
                    "community_id": community_id,
                    "member_id": f"m-{i}",
                    "score_milli": (i * 7919) % 1_000_000 + 1,
                    "activity_count": 1,
                    "last_active_at": now,
                    "engagement_key": engagement_rules.add_to_key(
                        engagement_rules.NO_SCORE, (i * 7919) % 1_000_000 + 1, now, 14
                    ),
                    "half_life_days": 14.0,
                    "points_milli": 0,
                    "level_milli": 0,
                    "level": 1,
                    "segment": "casual",
                    "was_top_quarter": False,
                }
                for i in range(members)
            ]
            scores_on_board = {
                tuple(row[name] for name in BOARD_COLUMNS): row["score_milli"] for row in boards
            }
            buckets = [
                dict(zip(BUCKET_COLUMNS, key, strict=True), members=count)
                for key, count in ranks.buckets_of_boards(scores_on_board).items()
            ]
            for start in range(0, members, 5000):
                await session.execute(insert(board_table), boards[start : start + 5000])
                await session.execute(insert(score_table), scores[start : start + 5000])
            await session.execute(insert(bucket_table), buckets)
            key_buckets = ranks.key_bucket_changes(
                (community_id, engagement_rules.NO_SCORE, row["engagement_key"]) for row in scores
            )
            await session.execute(
                insert(key_bucket_table),
                [
                    {"community_id": c, "bucket": bucket, "members": count}
                    for (c, bucket), count in key_buckets.items()
                ],
            )
        await session.commit()
    await engine.dispose()


# --- 2. ingest and 3. read: the service and the gateway as processes ---------------------------


@contextmanager
def running_system(workdir: Path, bootstrap: str, jwt_secret: str) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        log: IO[str] = stack.enter_context((workdir / "processes.log").open("a", encoding="utf-8"))
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "HUOLI_ENV": "development",
            "LOG_LEVEL": "WARNING",
            "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        }
        port = free_port()
        scoring = ManagedProcess(
            "scoring",
            uvicorn_argv("services.scoring.app:create_app", port, graceful_seconds=3),
            env={
                **env,
                "SCORING_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'scoring.db'}",
                # No segment sweep or period close competing with what is measured.
                "SCORING_RUN_CLOCKWORK": "false",
            },
            output=log,
        ).start()
        stack.callback(scoring.stop)
        urls = {"scoring": f"http://127.0.0.1:{port}"}
        wait_for_http(f"{urls['scoring']}/readyz", process=scoring)
        gateway_port = free_port()
        gateway = ManagedProcess(
            "gateway",
            uvicorn_argv("gateway.app:create_app", gateway_port, graceful_seconds=3),
            env={**env, "JWT_SECRET": jwt_secret, "GATEWAY_SCORING_URL": urls["scoring"]},
            output=log,
        ).start()
        stack.callback(gateway.stop)
        urls["gateway"] = f"http://127.0.0.1:{gateway_port}"
        wait_for_http(f"{urls['gateway']}/healthz", process=gateway)
        yield urls


def batch_body(community_id: str, size: int, members: int) -> str:
    now = datetime.now(UTC).isoformat()
    items = [
        {
            "id": f"{{n}}-{i}",
            "community_id": community_id,
            "member_id": f"m-{int(members * ((i * 7919) % 1000 / 1000) ** 3)}",
            "type": TYPES[i % len(TYPES)],
            "occurred_at": now,
        }
        for i in range(size)
    ]
    return json.dumps(items)


async def probe(
    gateway: str, token: str, community_id: str, until: float, results: list[float]
) -> None:
    """Every 200 ms: POST one share for the probe member, then poll the all-time board (every
    30 ms) until the probe's score shows it; the time from sending the POST is one sample."""
    headers = {"Authorization": f"Bearer {token}"}
    board = f"{gateway}/v1/communities/{community_id}/leaderboard"
    expected = 0.0
    async with httpx.AsyncClient(timeout=30) as client:
        while time.perf_counter() < until:
            expected += 3.0
            item = {
                "id": f"probe-{uuid.uuid4().hex}",
                "community_id": community_id,
                "member_id": "m-owner",
                "type": "share",
                "occurred_at": datetime.now(UTC).isoformat(),
            }
            sent = time.perf_counter()
            response = await client.post(f"{gateway}/v1/activities", json=[item], headers=headers)
            if response.status_code != 202:
                expected -= 3.0  # not accepted (a gateway timeout under load): not a sample
                await asyncio.sleep(0.2)
                continue
            while True:
                answer = await client.get(board, params={"limit": 1}, headers=headers)
                if answer.status_code != 200:
                    # The probe's own polling can meet the gateway's rate limit on a long run.
                    await asyncio.sleep(float(answer.headers.get("retry-after", "0.05")))
                    continue
                top = answer.json()
                if top["items"] and top["items"][0]["score"] >= expected:
                    results.append(time.perf_counter() - sent)
                    break
                if time.perf_counter() - sent > 60:
                    results.append(float("inf"))  # never showed within a minute
                    break
                # ~33 polls a second: with the load's POSTs, under the gateway's 50 a second
                # for the one principal both use.
                await asyncio.sleep(0.03)
            await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--ingest-seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="activities a second to offer (an open loop, at most --concurrency POSTs in"
        " flight); default: a closed loop of --concurrency",
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--read-seconds", type=float, default=5)
    parser.add_argument(
        "--consume-database-url",
        default=None,
        help="an empty database for part 1 (e.g. PostgreSQL); default SQLite in a temp dir",
    )
    parser.add_argument(
        "--workloads",
        type=lambda text: tuple(text.split(",")),
        default=WORKLOADS,
        help="consume workloads to run, comma-separated (default: uniform,zipf)",
    )
    parser.add_argument(
        "--consume-only",
        action="store_true",
        help="run part 1 (bare consumer vs the ledger consumer) and stop",
    )
    options = parser.parse_args()
    stop_on_signals()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="scoring-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        log = stack.enter_context((workdir / "broker.log").open("a", encoding="utf-8"))
        with reporting_failures(workdir / "processes.log"):
            backend = (options.consume_database_url or "sqlite").split(":")[0]
            for workload in options.workloads:
                # A broker of its own per workload: each consumer reads its workload only.
                workload_broker = EmbeddedBroker(output=log).start()
                try:
                    consumed = bench_consume(
                        workload_broker.bootstrap_servers,
                        workdir,
                        options.events,
                        options.consume_database_url,
                        workload,
                    )
                finally:
                    workload_broker.stop()
                report_consume(workload, backend, options.events, consumed)
            if options.consume_only:
                return
            broker = EmbeddedBroker(output=log).start()
            stack.callback(broker.stop)

            # The service's database, migrated and seeded before it starts.
            database_url = f"sqlite+aiosqlite:///{workdir / 'scoring.db'}"
            upgrade_to_head(ini_path=ALEMBIC_INI, database_url=database_url)
            asyncio.run(seed(database_url, "cmty_ingest", 1000, ranked=False))
            asyncio.run(seed(database_url, "cmty_probe", 0, ranked=False))
            asyncio.run(seed(database_url, "cmty_read", options.members, ranked=True))
            secret = secrets.token_hex(32)
            token = issue_token(OWNER, secret=secret)
            urls = stack.enter_context(running_system(workdir, broker.bootstrap_servers, secret))
            generator = stack.enter_context(LoadGenerator())
            # m-0 has the lowest score (rank = members): the deepest own rank; m-{middle}
            # ranks about 5 % down.
            middle = options.members // 2
            print(f"\n2. reads at the service, {options.members:,} ranked members")
            for name, params, viewer in (
                ("top-50, own rank ~5%", "?period=all&limit=50", middle),
                ("top-50, own rank last", "?period=all&limit=50", 0),
                ("top-1, own rank last", "?period=all&limit=1", 0),
            ):
                for concurrency in (1, 16):
                    read = generator.measure(
                        Call(
                            url=f"{urls['scoring']}/v1/communities/cmty_read/leaderboard{params}",
                            headers=actor_headers(f"u-{viewer}"),
                        ),
                        concurrency,
                        options.read_seconds,
                        1,
                    )
                    print(
                        f"   {name:<22} c={concurrency:<3} {read.per_second:>8,.0f} req/s  "
                        f"p50 {read.p50_ms:6.2f} ms  p99 {read.p99_ms:6.2f} ms  "
                        f"errors {read.errors}"
                    )
            for name, viewer in (("engagement, rank ~5%", middle), ("engagement, rank last", 0)):
                engagement = generator.measure(
                    Call(
                        url=f"{urls['scoring']}/v1/communities/cmty_read/members/m-{viewer}/engagement",
                        headers=actor_headers(f"u-{viewer}"),
                    ),
                    1,
                    options.read_seconds,
                    1,
                )
                print(
                    f"   {name:<22} c=1   {engagement.per_second:>8,.0f} req/s  "
                    f"p50 {engagement.p50_ms:6.2f} ms  p99 {engagement.p99_ms:6.2f} ms"
                )
            call = Call(
                url=f"{urls['gateway']}/v1/activities",
                method="POST",
                headers={"Authorization": f"Bearer {token}"},
                body=batch_body("cmty_ingest", options.batch, 1000),
                expect=202,
            )
            latencies: list[float] = []
            until = time.perf_counter() + 2 + options.ingest_seconds
            prober = threading.Thread(
                target=lambda: asyncio.run(
                    probe(urls["gateway"], token, "cmty_probe", until, latencies)
                )
            )
            prober.start()
            posts_per_second = options.rate / options.batch if options.rate else None
            measured = generator.measure(
                call, options.concurrency, options.ingest_seconds, 2, posts_per_second
            )
            prober.join()
            latencies.sort()
            offered = f"offered {options.rate:,.0f}/s, " if options.rate else ""
            print(
                f"\n3. ingest through the gateway: {options.batch} activities a POST, "
                f"{offered}c={options.concurrency}, {options.ingest_seconds:g} s"
            )
            print(
                f"   {measured.per_second * options.batch:>10,.0f} activities/s "
                f"({measured.per_second:.1f} POST/s, {measured.errors} errors, "
                f"POST p50 {measured.p50_ms:.0f} ms, p99 {measured.p99_ms:.0f} ms)"
            )
            print(
                f"   POST → leaderboard ({len(latencies)} probes): "
                f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
                f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
                + (f", mean {statistics.fmean(latencies) * 1000:.0f} ms" if latencies else "")
            )

            if os.environ.get("BENCH_SHOW_LOG"):
                tail = (workdir / "processes.log").read_text(encoding="utf-8").splitlines()
                print(*tail[-60:], sep="\n")


if __name__ == "__main__":
    main()
