"""What the members service costs over the stack it is built on, as a share of a minimal app.

One run starts, each as its own process with one uvicorn worker and the flags deploy/ uses: the
embedded broker, and per database (SQLite in a temporary directory, then PostgreSQL in two fresh
databases) the members service and `bench/minimal_app.py`, the smallest FastAPI +
SQLAlchemy-async app doing the same SQL. It drives each path at each concurrency in rounds that
alternate between the two apps, so both see the same machine, and prints the medians and the
members service's throughput as a share of the minimal app's: a figure that means the same on any
machine. The paths: `GET /v1/communities/{cid}` (a primary-key read), `POST /v1/communities`,
and `POST /v1/communities/{cid}/members` (a join: a read, a check, two inserts).

    .venv/bin/python bench/read_path_bench.py [--seconds 1.5] [--rounds 7] [--concurrency 1,32]
        [--backends sqlite,postgresql] [--paths read,create,join] [--tracing otlp|console|none]

The members service runs as production does with tracing on: its request metrics (always on)
and, by default, OTEL_EXPORTER=otlp, so every request opens a span that is batched, encoded and
sent to a collector; here a stand-in collector in this process that counts the spans and drops
them. `--tracing none` leaves only the trace context (no spans), `console` writes the spans to
the processes' log. After the run the bench checks that the spans and the request metrics of the
members service's reads were really recorded. The minimal app has neither, nor any middleware.

Target (issues 5 and 18): the read at >= 0.8 of the minimal app on both databases at every
concurrency, with the members service's metrics and tracing on; p50 <= 1.5 ms at c=1.
PostgreSQL is the server at HUOLI_BENCH_POSTGRES_DSN (default the test server,
postgresql://postgres@127.0.0.1:5432/test); it is skipped, with a note, when unreachable. Every
process and database it creates is removed on exit, also on Ctrl-C or SIGTERM.
"""

import argparse
import asyncio
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, ClassVar

import asyncpg
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    INTERNAL_SECRET,
    actor_headers,
    reporting_failures,
    stop_on_signals,
)
from bench.load import Call, LoadGenerator, Measured  # noqa: E402
from devstack.broker import EmbeddedBroker  # noqa: E402
from devstack.processes import ManagedProcess, free_port, uvicorn_argv, wait_for_http  # noqa: E402

POSTGRES_DSN = os.environ.get(
    "HUOLI_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
APPS = ("minimal", "members")
MAX_CAPACITY = 1_000_000
PATHS = ("read", "create", "join")
OWNER = "bench-owner"
TARGET_SHARE = 0.8
TARGET_P50_MS = 1.5
TRACING = ("otlp", "console", "none")
# The members service's request-latency count for its read, in /metrics.
READ_COUNT = re.compile(
    r'^huoli_http_request_duration_seconds_count\{[^}]*method="GET",'
    r'route="/v1/communities/\{community_id\}",status="200"\} ([0-9.e+]+)$',
    re.MULTILINE,
)


@dataclass(frozen=True)
class Run:
    measured: Measured
    cpu_seconds: float  # the app process's CPU (all its threads) over the run, warm-up included

    @property
    def cpu_us(self) -> float:
        """CPU per request: unlike req/s, hardly moved by what else the machine runs."""
        answered = self.measured.answered
        return self.cpu_seconds / answered * 1e6 if answered else float("nan")


@dataclass(frozen=True)
class Row:
    backend: str
    path: str
    concurrency: int
    runs: dict[str, list[Run]]  # app -> one run per round

    def median(self, app: str, figure: Callable[[Run], float]) -> float:
        return statistics.median(figure(run) for run in self.runs[app])

    def errors(self, app: str) -> int:
        return sum(run.measured.errors for run in self.runs[app])

    def share(self, figure: Callable[[Run], float]) -> float:
        """Median of each round's minimal/members ratio of a cost (or members/minimal of a
        rate): the two runs of a round are adjacent in time, so they saw the same machine."""
        return statistics.median(
            figure(ours) / figure(theirs) if figure(theirs) else float("nan")
            for ours, theirs in zip(self.runs["members"], self.runs["minimal"], strict=True)
        )

    @property
    def throughput_share(self) -> float:
        return self.share(per_second)

    @property
    def cpu_share(self) -> float:
        return 1 / self.share(cpu_us)


def per_second(run: Run) -> float:
    return run.measured.per_second


def p50_ms(run: Run) -> float:
    return run.measured.p50_ms


def p99_ms(run: Run) -> float:
    return run.measured.p99_ms


def cpu_us(run: Run) -> float:
    return run.cpu_us


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


# --- the stand-in collector ---------------------------------------------------------------------


class _CollectorHandler(BaseHTTPRequestHandler):
    """Answers an OTLP/HTTP export (protobuf) with 200, counting its spans."""

    spans: ClassVar[int] = 0
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        exported = ExportTraceServiceRequest.FromString(body)
        count = sum(
            len(scope_spans.spans)
            for resource_spans in exported.resource_spans
            for scope_spans in resource_spans.scope_spans
        )
        with self.lock:
            type(self).spans += count
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def otlp_collector() -> Iterator[str]:
    """A local OTLP/HTTP endpoint that drops what it receives; yields its base URL. It answers
    at most one export a second or so (a batch of up to 512 spans), so it hardly loads the
    machine."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CollectorHandler)
    thread = threading.Thread(target=server.serve_forever, name="otlp-collector", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def spans_collected() -> int:
    with _CollectorHandler.lock:
        return _CollectorHandler.spans


def reads_observed(base_url: str) -> int:
    """How many 200 reads the members service's request metrics counted."""
    text = httpx.get(f"{base_url}/metrics", timeout=10, trust_env=False).text
    match = READ_COUNT.search(text)
    return int(float(match[1])) if match else 0


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


@dataclass(frozen=True)
class AppProcess:
    url: str
    pid: int


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, all threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running_apps(
    database_urls: dict[str, str],
    bootstrap_servers: str,
    output: IO[str],
    tracing: dict[str, str],
) -> Iterator[dict[str, AppProcess]]:
    """Start the members service (with `tracing`, its OTEL_* variables) and the minimal app."""
    base_env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "HUOLI_ENV": "development",
        "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
    }
    envs = {
        "members": {
            **base_env,
            **tracing,
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
        apps: dict[str, AppProcess] = {}
        for app in APPS:
            port = free_port()
            process = ManagedProcess(
                app, uvicorn_argv(factories[app], port, graceful_seconds=3), env=envs[app],
                output=output,
            ).start()  # fmt: skip
            stack.callback(process.stop)
            assert process.pid is not None
            apps[app] = AppProcess(f"http://127.0.0.1:{port}", process.pid)
            wait_for_http(f"{apps[app].url}/openapi.json", process=process)
        yield apps


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
        make_room(client, f"{base_url}/v1/communities/{community_id}/tiers")
        return community_id


def make_room(client: httpx.Client, tiers_url: str) -> None:
    """Raise the members service's tier capacities (500 by default) so that every join of the
    run lands instead of meeting a full community; the minimal app has no tiers (404)."""
    listed = client.get(tiers_url)
    if listed.status_code == 404:
        return
    listed.raise_for_status()
    for tier in listed.json()["items"]:
        client.patch(
            f"{tiers_url}/{tier['id']}", json={"capacity": MAX_CAPACITY}
        ).raise_for_status()


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    seconds: float
    warmup: float
    rounds: int
    concurrencies: list[int]
    paths: list[str]
    tracing: str


def bench_backend(
    backend: str, apps: dict[str, AppProcess], plan: Plan, generator: LoadGenerator
) -> list[Row]:
    targets = {name: calls(app.url, create_community(app.url)) for name, app in apps.items()}
    rows = []
    for path in plan.paths:
        for concurrency in plan.concurrencies:
            runs: dict[str, list[Run]] = {app: [] for app in APPS}
            for round_ in range(plan.rounds):
                # Alternate who goes first, so neither always runs on a warmer (or busier) machine.
                order = APPS if round_ % 2 == 0 else tuple(reversed(APPS))
                for app in order:
                    cpu_before = cpu_seconds(apps[app].pid)
                    measured = generator.measure(
                        targets[app][path], concurrency, plan.seconds, plan.warmup
                    )
                    runs[app].append(Run(measured, cpu_seconds(apps[app].pid) - cpu_before))
            row = Row(backend, path, concurrency, runs)
            print(
                f"  {backend:<10} {path:<6} c={concurrency:<4} members "
                f"{row.median('members', per_second):6.0f} req/s, minimal "
                f"{row.median('minimal', per_second):6.0f} req/s, share "
                f"{row.throughput_share:.2f} (CPU {row.cpu_share:.2f})",
                flush=True,
            )
            rows.append(row)
    check_recorded(apps["members"], rows)
    return rows


def check_recorded(members: AppProcess, rows: list[Row]) -> None:
    """Fail unless the members service's metrics counted its reads: the share is only the
    figure wanted if the middleware did its work. (Spans are checked once it has flushed them.)"""
    reads = sum(
        run.measured.requests for row in rows if row.path == "read" for run in row.runs["members"]
    )
    observed = reads_observed(members.url)
    print(
        f"  members /metrics counted {observed} reads (the runs had {reads} within their windows)"
    )
    if observed < reads:
        raise RuntimeError("the members service's request metrics missed reads")


def check_traced(spans: int, rows: list[Row]) -> None:
    """Fail unless the collector received a span for every request the members service
    answered."""
    answered = sum(run.measured.answered for row in rows for run in row.runs["members"])
    print(f"  the collector received {spans} spans from members ({answered} requests answered)")
    if spans < answered:
        raise RuntimeError("the members service exported fewer spans than it answered requests")


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'database':<10} {'path':<6} {'conc':>4} | {'req/s':>6} {'p50 ms':>6} {'CPU us':>6} | "
        f"{'req/s':>6} {'p50 ms':>6} {'p99 ms':>6} {'CPU us':>6} {'errors':>6} | "
        f"{'share':>5} {'CPU share':>9}"
    )
    print(f"{'':<22} | {'minimal app':<20} | {'members service':<41} |")
    print(header)
    print("-" * len(header))
    for row in rows:
        minimal = [row.median("minimal", figure) for figure in (per_second, p50_ms, cpu_us)]
        members = [row.median("members", f) for f in (per_second, p50_ms, p99_ms, cpu_us)]
        print(
            f"{row.backend:<10} {row.path:<6} {row.concurrency:>4} | "
            f"{minimal[0]:>6.0f} {minimal[1]:>6.2f} {minimal[2]:>6.0f} | "
            f"{members[0]:>6.0f} {members[1]:>6.2f} {members[2]:>6.2f} {members[3]:>6.0f} "
            f"{row.errors('members'):>6} | {row.throughput_share:>5.2f} {row.cpu_share:>9.2f}"
        )
    print(
        "\nshare = median over the rounds of members req/s / minimal req/s. CPU us = the app"
        " process's CPU time per request; CPU share = minimal's / members' (median over the"
        " rounds), the same comparison, less moved by other load on the machine. Other figures"
        " are medians of the rounds; errors = answers other than 200/201, or timeouts."
    )
    for row in rows:
        if row.path != "read":
            continue
        met = row.throughput_share >= TARGET_SHARE
        p50_target = ""
        if row.concurrency == 1:
            p50 = row.median("members", p50_ms)
            met = met and p50 <= TARGET_P50_MS
            p50_target = f", p50 {p50:.2f} ms (<= {TARGET_P50_MS})"
        print(
            f"target, {row.backend} read at c={row.concurrency}: share"
            f" {row.throughput_share:.2f} (>= {TARGET_SHARE}){p50_target}:"
            f" {'met' if met else 'NOT met'}"
        )


def parse_args(argv: list[str] | None) -> tuple[Plan, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=0.2, help="unmeasured time per run")
    parser.add_argument("--rounds", type=int, default=7, help="runs per app, alternating")
    parser.add_argument("--concurrency", default="1,32", help="comma-separated concurrencies")
    parser.add_argument("--backends", default="sqlite,postgresql", help="databases to run on")
    parser.add_argument("--paths", default=",".join(PATHS), help="paths to drive")
    parser.add_argument(
        "--tracing",
        choices=TRACING,
        default="otlp",
        help="OTEL_EXPORTER for the members service (otlp: to a local collector that drops spans)",
    )
    args = parser.parse_args(argv)

    def listed(value: str) -> list[str]:
        return [part.strip() for part in value.split(",") if part.strip()]

    plan = Plan(
        seconds=args.seconds,
        warmup=args.warmup,
        rounds=args.rounds,
        concurrencies=[int(part) for part in listed(args.concurrency)],
        paths=[path for path in listed(args.paths) if path in PATHS],
        tracing=args.tracing,
    )
    return plan, listed(args.backends)


def main(argv: list[str] | None = None) -> int:
    plan, backends = parse_args(argv)
    stop_on_signals()
    if "postgresql" in backends and not postgres_reachable():
        print(f"PostgreSQL at {POSTGRES_DSN} is unreachable: skipping it", file=sys.stderr)
        backends = [backend for backend in backends if backend != "postgresql"]
    print(
        f"read-path bench: {plan.rounds} rounds of {plan.seconds:g} s (+{plan.warmup:g} s warm-up)"
        f" per app, concurrency {','.join(map(str, plan.concurrencies))}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}, one uvicorn worker each; members tracing:"
        f" {plan.tracing}",
        flush=True,
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="huoli-bench-") as tmp:
        workdir = Path(tmp)
        log_path = workdir / "processes.log"
        with reporting_failures(log_path), ExitStack() as stack:
            log = stack.enter_context(log_path.open("a", encoding="utf-8"))
            broker = EmbeddedBroker(output=log).start()
            stack.callback(broker.stop)
            generator = stack.enter_context(LoadGenerator())
            tracing = {"OTEL_EXPORTER": plan.tracing}
            if plan.tracing == "otlp":
                collector = stack.enter_context(otlp_collector())
                tracing["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = f"{collector}/v1/traces"
            for backend in backends:
                spans_before = spans_collected()
                with (
                    databases(backend, workdir) as database_urls,
                    running_apps(database_urls, broker.bootstrap_servers, log, tracing) as apps,
                ):
                    backend_rows = bench_backend(backend, apps, plan, generator)
                # Stopped, the service has flushed its last spans.
                if plan.tracing == "otlp":
                    check_traced(spans_collected() - spans_before, backend_rows)
                rows += backend_rows
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
