"""Registrations per second through the gateway: one hot event everyone races for (every
registration takes the same event's row lock) and the same load spread over many events, on
SQLite and on PostgreSQL; after each run the confirmed and waitlisted counts are checked exact.
The members joining first are timed too: joins per second through the gateway (their row shows
the members who joined as "confirmed").

One run per backend starts the whole system as processes (embedded broker, the four services and
the gateway, one uvicorn worker each), creates a community through the gateway, lets `--members`
members join it, waits until the events service's projection knows them all, then:

- hot: one event with `--capacity` seats; every member registers once, `--concurrency` at a time;
  exactly `capacity` must be confirmed and the rest waitlisted at positions 1..n;
- spread: `--events` events with `--capacity` // `--events` seats each, the members registering
  round-robin; each event must confirm exactly min(its seats, its registrants).

    .venv/bin/python bench/events_bench.py [--members 400] [--concurrency 32] [--capacity 100]
        [--events 20] [--backends sqlite,postgresql]

Every process it starts is stopped on exit, also on Ctrl-C or SIGTERM.
"""

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from bench.common import INTERNAL_SECRET, reporting_failures, stop_on_signals  # noqa: E402
from devstack.stack import Stack  # noqa: E402
from gateway.identity.tokens import issue_token  # noqa: E402
from services.common.components import SERVICES  # noqa: E402

JWT_SECRET = "events-bench-jwt-secret-of-at-least-32-bytes"
POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Result:
    backend: str
    scenario: str
    registrations: int
    seconds: float
    p50_ms: float
    p99_ms: float
    confirmed: int
    waitlisted: int

    @property
    def per_second(self) -> float:
        return self.registrations / self.seconds


async def _postgres(*statements: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=3)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def databases(backend: str, workdir: Path) -> Iterator[dict[str, str]]:
    names = [service.name for service in SERVICES]
    if backend == "sqlite":
        yield {name: f"sqlite+aiosqlite:///{workdir / f'{name}.db'}" for name in names}
        return
    created = {name: f"huoli_bench_{name}_{uuid.uuid4().hex[:8]}" for name in names}
    asyncio.run(_postgres(*(f'CREATE DATABASE "{db}"' for db in created.values())))
    host = POSTGRES_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield {name: f"{host}/{db}" for name, db in created.items()}
    finally:
        asyncio.run(
            _postgres(*(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' for db in created.values()))
        )


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user, secret=JWT_SECRET)}"}


async def bounded(concurrency: int, calls: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(concurrency)

    async def run(call: Any) -> Any:
        async with gate:
            return await call()

    return await asyncio.gather(*(run(call) for call in calls))


async def setup_community(
    gateway: httpx.AsyncClient, members: int, concurrency: int
) -> tuple[str, list[tuple[str, str]], float, list[float]]:
    """The community and its members (user, member id); the joins' wall time and latencies:
    the members issue's joins per second through the gateway."""
    owner = auth("bench-owner")
    created = await gateway.post("/v1/communities", json={"name": "压测社群"}, headers=owner)
    created.raise_for_status()
    community_id: str = created.json()["id"]
    users = [f"bench-{index:05d}" for index in range(members)]

    latencies: list[float] = []

    async def join(user: str) -> tuple[str, str]:
        started = time.perf_counter()
        joined = await gateway.post(
            f"/v1/communities/{community_id}/members",
            json={"user_id": user, "display_name": user},
            headers=auth(user),
        )
        latencies.append(time.perf_counter() - started)
        joined.raise_for_status()
        return user, joined.json()["id"]

    started = time.perf_counter()
    joined = await bounded(concurrency, [lambda user=user: join(user) for user in users])
    join_seconds = time.perf_counter() - started
    deadline = time.monotonic() + 60
    pending = list(users)
    while pending:  # the events service learns of members through the broker
        answers = await bounded(
            16,
            [
                lambda user=user: gateway.get(
                    f"/v1/communities/{community_id}/events", headers=auth(user)
                )
                for user in pending
            ],
        )
        pending = [
            user for user, answer in zip(pending, answers, strict=True) if answer.status_code != 200
        ]
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} members never reached the events service")
        if pending:
            await asyncio.sleep(0.5)
    return community_id, joined, join_seconds, latencies


async def create_event(gateway: httpx.AsyncClient, community_id: str, capacity: int) -> str:
    starts = datetime.now(UTC) + timedelta(days=7)
    owner = auth("bench-owner")
    created = await gateway.post(
        f"/v1/communities/{community_id}/events",
        json={
            "title": "压测活动",
            "kind": "salon",
            "format": "offline",
            "location": "上海",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": capacity,
        },
        headers=owner,
    )
    created.raise_for_status()
    event_id: str = created.json()["id"]
    (await gateway.post(f"/v1/events/{event_id}/publish", headers=owner)).raise_for_status()
    return event_id


async def register_all(
    gateway: httpx.AsyncClient, plan: list[tuple[str, str, str]], concurrency: int
) -> tuple[float, list[float]]:
    """Register (user, member id, event id) each once; returns elapsed seconds and latencies."""
    latencies: list[float] = []

    async def register(user: str, member_id: str, event_id: str) -> None:
        started = time.perf_counter()
        answer = await gateway.post(
            f"/v1/events/{event_id}/registrations",
            json={"member_id": member_id},
            headers=auth(user),
        )
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 201:
            raise RuntimeError(f"registration failed: {answer.status_code} {answer.text}")

    started = time.perf_counter()
    await bounded(concurrency, [lambda p=p: register(*p) for p in plan])
    return time.perf_counter() - started, latencies


async def registrations_of(gateway: httpx.AsyncClient, event_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = await gateway.get(
            f"/v1/events/{event_id}/registrations", params=params, headers=auth("bench-owner")
        )
        page.raise_for_status()
        items.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def check_exact(items: list[dict[str, Any]], seats: int) -> tuple[int, int]:
    """The event's registrations are exactly min(seats, n) confirmed, then a waitlist 1..rest."""
    statuses = [item["status"] for item in items]
    confirmed = min(seats, len(items))
    expected = ["confirmed"] * confirmed + ["waitlisted"] * (len(items) - confirmed)
    if statuses != expected:
        raise RuntimeError(f"not exact: {statuses.count('confirmed')} confirmed of {seats} seats")
    positions = [item["waitlist_position"] for item in items[confirmed:]]
    if positions != list(range(1, len(items) - confirmed + 1)):
        raise RuntimeError("waitlist positions are not 1..n in arrival order")
    return confirmed, len(items) - confirmed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def measure(stack: Stack, backend: str, args: argparse.Namespace) -> list[Result]:
    results = []
    async with httpx.AsyncClient(
        base_url=stack.gateway_url,
        timeout=60,
        limits=httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        ),
    ) as gateway:
        community_id, joined, seconds, latencies = await setup_community(
            gateway, args.members, args.concurrency
        )
        # Joins into one community: each takes its tiers' lock and counts the seats.
        results.append(
            Result(
                backend,
                "joins (1 community)",
                len(joined),
                seconds,
                statistics.median(latencies) * 1000,
                percentile(latencies, 0.99),
                len(joined),
                0,
            )
        )

        hot = await create_event(gateway, community_id, args.capacity)
        seconds, latencies = await register_all(
            gateway, [(user, member_id, hot) for user, member_id in joined], args.concurrency
        )
        confirmed, waitlisted = check_exact(await registrations_of(gateway, hot), args.capacity)
        results.append(
            Result(
                backend,
                "hot (1 event)",
                len(joined),
                seconds,
                statistics.median(latencies) * 1000,
                percentile(latencies, 0.99),
                confirmed,
                waitlisted,
            )
        )

        seats = max(1, args.capacity // args.events)
        spread = [await create_event(gateway, community_id, seats) for _ in range(args.events)]
        plan = [
            (user, member_id, spread[index % len(spread)])
            for index, (user, member_id) in enumerate(joined)
        ]
        seconds, latencies = await register_all(gateway, plan, args.concurrency)
        confirmed = waitlisted = 0
        for event_id in spread:
            event_confirmed, event_waitlisted = check_exact(
                await registrations_of(gateway, event_id), seats
            )
            confirmed += event_confirmed
            waitlisted += event_waitlisted
        results.append(
            Result(
                backend,
                f"spread ({args.events} events)",
                len(plan),
                seconds,
                statistics.median(latencies) * 1000,
                percentile(latencies, 0.99),
                confirmed,
                waitlisted,
            )
        )
    return results


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> list[Result]:
    with databases(backend, workdir) as urls:
        stack = Stack(
            env={
                "JWT_SECRET": JWT_SECRET,
                "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
                "HUOLI_ENV": "test",
                "KAFKA_BOOTSTRAP_SERVERS": "",
                "LOG_LEVEL": "WARNING",
            },
            database_urls=urls,
            log_dir=workdir / f"logs-{backend}",
        )
        with reporting_failures(workdir / f"logs-{backend}" / "events.log"):
            try:
                stack.start_all()
                return asyncio.run(measure(stack, backend, args))
            finally:
                stack.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--capacity", type=int, default=100, help="seats of the hot event")
    parser.add_argument("--events", type=int, default=20, help="events of the spread run")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    stop_on_signals()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="huoli-events-bench-") as directory:
        for backend in args.backends.split(","):
            if backend == "postgresql":
                try:
                    asyncio.run(_postgres("SELECT 1"))
                except (OSError, asyncpg.PostgresError):
                    print("PostgreSQL unreachable at", POSTGRES_DSN, "- skipped", file=sys.stderr)
                    continue
            results.extend(run_backend(backend, args, Path(directory)))
    print(
        f"\n{platform.python_implementation()} {platform.python_version()}, "
        f"{args.members} members, concurrency {args.concurrency}, through the gateway"
    )
    print(
        f"{'backend':<11} {'scenario':<20} {'regs':>5} {'regs/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'confirmed':>9} {'waitlisted':>10}"
    )
    for r in results:
        print(
            f"{r.backend:<11} {r.scenario:<20} {r.registrations:>5} {r.per_second:>8.1f} "
            f"{r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.confirmed:>9} {r.waitlisted:>10}  exact"
        )


if __name__ == "__main__":
    main()
