"""What the members service costs over the stack it is built on, as a share of a minimal app.

One run starts, each as its own process with one uvicorn worker and the flags deploy/ uses: the
embedded broker, and per database (SQLite in a temporary directory, then PostgreSQL in two fresh
databases) the members service and `bench/minimal_app.py`, the smallest FastAPI +
SQLAlchemy-async app doing the same SQL. It drives each path at each concurrency in rounds that
alternate between the two apps, so both see the same machine, and prints the medians and the
members service's throughput as a share of the minimal app's: a figure that means the same on any
machine. The paths: `GET /v1/communities/{cid}` (a primary-key read), `POST /v1/communities`,
and `POST /v1/communities/{cid}/members` (a join: a read, a check, two inserts).

    .venv/bin/python bench/read_path_bench.py [--seconds 3] [--rounds 3] [--concurrency 1,32]
        [--backends sqlite,postgresql] [--paths read,create,join]

Target (issue 5): the read at >= 0.8 of the minimal app on both databases, p50 <= 1.5 ms at c=1.
PostgreSQL is the server at HUOLI_BENCH_POSTGRES_DSN (default the test server,
postgresql://postgres@127.0.0.1:5432/test); it is skipped, with a note, when unreachable. Every
process and database it creates is removed on exit, also on Ctrl-C or SIGTERM.
"""

import argparse
import asyncio
import os
import platform
import signal
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from bench.load import Call, Measured, measure  # noqa: E402
from devstack.broker import EmbeddedBroker  # noqa: E402
from devstack.processes import ManagedProcess, free_port, uvicorn_argv, wait_for_http  # noqa: E402

POSTGRES_DSN = os.environ.get(
    "HUOLI_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
APPS = ("minimal", "members")
PATHS = ("read", "create", "join")
OWNER = "bench-owner"
TARGET_SHARE = 0.8
TARGET_P50_MS = 1.5


@dataclass(frozen=True)
class Row:
    backend: str
    path: str
    concurrency: int
    runs: dict[str, list[Measured]]  # app -> one measurement per round

    def median(self, app: str, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in self.runs[app])

    def errors(self, app: str) -> int:
        return sum(run.errors for run in self.runs[app])

    @property
    def share(self) -> float:
        baseline = self.median("minimal", "per_second")
        return self.median("members", "per_second") / baseline if baseline else float("nan")


def actor_headers(user: str) -> dict[str, str]:
    """How the gateway tells the members service who calls (the minimal app ignores it)."""
    return {"X-Actor-Id": user}


def calls(base_url: str, community_id: str) -> dict[str, Call]:
    headers = actor_headers(OWNER)
    communities = f"{base_url}/v1/communities"
    return {
        "read": Call(f"{communities}/{community_id}", headers=headers),
        "create": Call(
            communities, "POST", headers, '{"name": "Club {n}", "join_policy": "open"}', 201
        ),
        "join": Call(
            f"{communities}/{community_id}/members",
            "POST",
            headers,
            '{"user_id": "user-{n}", "display_name": "Member"}',
            201,
        ),
    }


# --- databases and processes -----------------------------------------------------------------


@contextmanager
def databases(backend: str, workdir: Path) -> Iterator[dict[str, str]]:
    """One fresh database per app on `backend`, dropped afterwards."""
    if backend == "sqlite":
        yield {app: f"sqlite+aiosqlite:///{workdir / f'{app}.db'}" for app in APPS}
        return
    names = {app: f"huoli_bench_{app}_{uuid.uuid4().hex[:8]}" for app in APPS}
    asyncio.run(_postgres(*(f'CREATE DATABASE "{name}"' for name in names.values())))
    host = POSTGRES_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield {app: f"{host}/{name}" for app, name in names.items()}
    finally:
        drops = (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names.values())
        asyncio.run(_postgres(*drops))


async def _postgres(*statements: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=3)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def postgres_reachable() -> bool:
    try:
        asyncio.run(_postgres("SELECT 1"))
    except (OSError, asyncpg.PostgresError):
        return False
    return True


@contextmanager
def running_apps(
    database_urls: dict[str, str], bootstrap_servers: str, output: IO[str]
) -> Iterator[dict[str, str]]:
    """Start the members service and the minimal app; yields their base URLs."""
    base_env = {**os.environ, "PYTHONUNBUFFERED": "1", "HUOLI_ENV": "development"}
    envs = {
        "members": {
            **base_env,
            "MEMBERS_DATABASE_URL": database_urls["members"],
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
        },
        "minimal": {**base_env, "MINIMAL_DATABASE_URL": database_urls["minimal"]},
    }
    factories = {
        "members": "services.members.app:create_app",
        "minimal": "bench.minimal_app:create_app",
    }
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        for app in APPS:
            port = free_port()
            process = ManagedProcess(
                app, uvicorn_argv(factories[app], port, graceful_seconds=3), env=envs[app],
                output=output,
            ).start()  # fmt: skip
            stack.callback(process.stop)
            urls[app] = f"http://127.0.0.1:{port}"
            wait_for_http(f"{urls[app]}/openapi.json", process=process)
        yield urls


def create_community(base_url: str) -> str:
    """The community every read and join of this app targets; checks the read answers 200."""
    with httpx.Client(timeout=10, trust_env=False, headers=actor_headers(OWNER)) as client:
        created = client.post(
            f"{base_url}/v1/communities", json={"name": "Bench club", "join_policy": "open"}
        )
        if created.status_code != 201:
            raise RuntimeError(f"{base_url}: creating failed: {created.status_code} {created.text}")
        community_id: str = created.json()["id"]
        read = client.get(f"{base_url}/v1/communities/{community_id}")
        if read.status_code != 200:
            raise RuntimeError(f"{base_url}: reading failed: {read.status_code} {read.text}")
        return community_id


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    seconds: float
    warmup: float
    rounds: int
    concurrencies: list[int]
    paths: list[str]


def bench_backend(backend: str, urls: dict[str, str], plan: Plan) -> list[Row]:
    targets = {app: calls(url, create_community(url)) for app, url in urls.items()}
    rows = []
    for path in plan.paths:
        for concurrency in plan.concurrencies:
            runs: dict[str, list[Measured]] = {app: [] for app in APPS}
            for round_ in range(plan.rounds):
                # Alternate who goes first, so neither always runs on a warmer (or busier) machine.
                order = APPS if round_ % 2 == 0 else tuple(reversed(APPS))
                for app in order:
                    result = measure(targets[app][path], concurrency, plan.seconds, plan.warmup)
                    runs[app].append(result)
            row = Row(backend, path, concurrency, runs)
            print(
                f"  {backend:<10} {path:<6} c={concurrency:<4} members "
                f"{row.median('members', 'per_second'):6.0f} req/s, minimal "
                f"{row.median('minimal', 'per_second'):6.0f} req/s, share {row.share:.2f}",
                flush=True,
            )
            rows.append(row)
    return rows


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'database':<10} {'path':<6} {'conc':>4}  {'minimal req/s':>13} {'p50 ms':>7}  "
        f"{'members req/s':>13} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}  {'share':>5}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        minimal, members = (
            (row.median(app, "per_second"), row.median(app, "p50_ms")) for app in APPS
        )
        print(
            f"{row.backend:<10} {row.path:<6} {row.concurrency:>4}  "
            f"{minimal[0]:>13.0f} {minimal[1]:>7.2f}  {members[0]:>13.0f} {members[1]:>7.2f} "
            f"{row.median('members', 'p99_ms'):>7.2f} {row.errors('members'):>6}  "
            f"{row.share:>5.2f}"
        )
    print(
        "\nshare = members req/s / minimal req/s (medians of the rounds); errors = answers other"
        " than 200/201 or timeouts, summed over the rounds."
    )
    for row in rows:
        if row.path == "read" and row.concurrency == 1:
            p50 = row.median("members", "p50_ms")
            met = row.share >= TARGET_SHARE and p50 <= TARGET_P50_MS
            print(
                f"target, {row.backend} read at c=1: share {row.share:.2f} (>= {TARGET_SHARE}),"
                f" p50 {p50:.2f} ms (<= {TARGET_P50_MS}): {'met' if met else 'NOT met'}"
            )


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None) -> tuple[Plan, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured time per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per app, alternating")
    parser.add_argument("--concurrency", default="1,32", help="comma-separated concurrencies")
    parser.add_argument("--backends", default="sqlite,postgresql", help="databases to run on")
    parser.add_argument("--paths", default=",".join(PATHS), help="paths to drive")
    args = parser.parse_args(argv)

    def listed(value: str) -> list[str]:
        return [part.strip() for part in value.split(",") if part.strip()]

    plan = Plan(
        seconds=args.seconds,
        warmup=args.warmup,
        rounds=args.rounds,
        concurrencies=[int(part) for part in listed(args.concurrency)],
        paths=[path for path in listed(args.paths) if path in PATHS],
    )
    return plan, listed(args.backends)


def main(argv: list[str] | None = None) -> int:
    plan, backends = parse_args(argv)
    # Explicitly, because a shell starting this in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if "postgresql" in backends and not postgres_reachable():
        print(f"PostgreSQL at {POSTGRES_DSN} is unreachable: skipping it", file=sys.stderr)
        backends = [backend for backend in backends if backend != "postgresql"]
    print(
        f"read-path bench: {plan.rounds} rounds of {plan.seconds:g} s (+{plan.warmup:g} s warm-up)"
        f" per app, concurrency {','.join(map(str, plan.concurrencies))}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}, one uvicorn worker each",
        flush=True,
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="huoli-bench-") as tmp:
        workdir = Path(tmp)
        log_path = workdir / "processes.log"
        try:
            with ExitStack() as stack:
                log = stack.enter_context(log_path.open("a", encoding="utf-8"))
                broker = EmbeddedBroker(output=log).start()
                stack.callback(broker.stop)
                for backend in backends:
                    with (
                        databases(backend, workdir) as urls,
                        running_apps(urls, broker.bootstrap_servers, log) as apps,
                    ):
                        rows += bench_backend(backend, apps, plan)
        except KeyboardInterrupt:
            print("interrupted; every process was stopped", file=sys.stderr)
            return 130
        except Exception:
            if log_path.exists():
                tail = log_path.read_text(encoding="utf-8").splitlines()[-40:]
                print("process output (last lines):", *tail, sep="\n", file=sys.stderr)
            raise
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
