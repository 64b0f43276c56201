"""What the gateway costs: the same read, straight to the members service and through the gateway.

One run starts, each as its own process with one uvicorn worker: the embedded broker, the
members service (SQLite in a temporary directory), and the gateway twice, once per HTTP transport
(aiohttp, the default, and plain httpx, whose pool slows down at high concurrency, httpx#3215).
It creates a community through the gateway, then drives `GET /v1/communities/{cid}` at each
target for a fixed time at a fixed concurrency, from a closed-loop load generator in a separate
process so it shares an event loop with nothing it measures, and prints one table.

    .venv/bin/python bench/gateway_bench.py [--seconds 10] [--concurrency 1,64,200] [--warmup 2]
        [--tracing none|console|otlp]

`--tracing` sets OTEL_EXPORTER for the members service and the gateways: `console` records
every request's spans and writes them, batched, to the processes' log in the temporary
directory, which is what tracing costs short of the network; `none` (the default) only passes
the trace context on.

Every process it starts is stopped on exit, also on Ctrl-C or SIGTERM.
"""

import argparse
import os
import platform
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

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
from gateway.identity.tokens import issue_token  # noqa: E402

TRANSPORTS = ("aiohttp", "httpx")
USER = "bench-user"


@dataclass(frozen=True)
class Target:
    name: str
    call: Call


@dataclass(frozen=True)
class Result:
    target: str
    measured: Measured


# --- the system under test -------------------------------------------------------------------


def uvicorn_process(
    name: str, app: str, port: int, env: dict[str, str], output: IO[str]
) -> ManagedProcess:
    argv = uvicorn_argv(app, port, graceful_seconds=3)
    return ManagedProcess(name, argv, env=env, output=output).start()


@contextmanager
def running_system(workdir: Path, secret: str, tracing: str = "none") -> Iterator[dict[str, str]]:
    """Start broker, members and both gateways; yields base URLs by name; stops them all."""
    with ExitStack() as stack:
        log = stack.enter_context((workdir / "processes.log").open("a", encoding="utf-8"))
        base_env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "HUOLI_ENV": "development",
            "LOG_LEVEL": "WARNING",
            "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
            "OTEL_EXPORTER": tracing,
        }
        broker = EmbeddedBroker(output=log).start()
        stack.callback(broker.stop)

        urls: dict[str, str] = {}
        members_port = free_port()
        members = uvicorn_process(
            "members",
            "services.members.app:create_app",
            members_port,
            {
                **base_env,
                "MEMBERS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'members.db'}",
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            },
            log,
        )
        stack.callback(members.stop)
        urls["members"] = f"http://127.0.0.1:{members_port}"
        wait_for_http(f"{urls['members']}/readyz", process=members)

        for transport in TRANSPORTS:
            port = free_port()
            gateway = uvicorn_process(
                f"gw-{transport}",
                "gateway.app:create_app",
                port,
                {
                    **base_env,
                    "JWT_SECRET": secret,
                    "GATEWAY_MEMBERS_URL": urls["members"],
                    "GATEWAY_HTTP_TRANSPORT": transport,
                    "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / transport}.db",
                    "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                    # The bench is one caller at full speed: its limit must not be what is
                    # measured (the bucket is still taken from on every request).
                    "GATEWAY_RATE_LIMIT_PER_SECOND": "1000000000",
                    "GATEWAY_RATE_LIMIT_BURST": "1000000000",
                },
                log,
            )
            stack.callback(gateway.stop)
            urls[f"gateway-{transport}"] = f"http://127.0.0.1:{port}"
            wait_for_http(f"http://127.0.0.1:{port}/healthz", process=gateway)
        yield urls


def prepare_targets(urls: dict[str, str], token: str) -> list[Target]:
    """Create the community every target reads, and check each target answers 200."""
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=10, trust_env=False) as client:
        created = client.post(
            f"{urls['gateway-aiohttp']}/v1/communities",
            json={"name": "Bench club", "join_policy": "open"},
            headers=bearer,
        )
        if created.status_code != 201:
            raise RuntimeError(
                f"creating the community failed: {created.status_code} {created.text}"
            )
        path = f"/v1/communities/{created.json()['id']}"
        direct = Call(f"{urls['members']}{path}", headers=actor_headers(USER))
        targets = [Target("direct (members)", direct)]
        targets += [
            Target(
                f"gateway ({transport})",
                Call(f"{urls[f'gateway-{transport}']}{path}", headers=bearer),
            )
            for transport in TRANSPORTS
        ]
        for target in targets:
            answer = client.get(target.call.url, headers=target.call.headers)
            if answer.status_code != 200:
                raise RuntimeError(f"{target.name} answered {answer.status_code}: {answer.text}")
    return targets


def print_table(results: list[Result]) -> None:
    header = (
        f"{'conc':>5}  {'target':<18} {'requests':>9} {'errors':>7} {'req/s':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'req/s vs direct':>16}"
    )
    print(header)
    print("-" * len(header))
    direct: dict[int, Measured] = {}
    for result in results:
        run = result.measured
        if result.target.startswith("direct"):
            direct[run.concurrency] = run
        baseline = direct.get(run.concurrency)
        ratio = (
            f"{run.per_second / baseline.per_second:.2f}x"
            if baseline is not None and baseline is not run and baseline.per_second
            else ""
        )
        print(
            f"{run.concurrency:>5}  {result.target:<18} {run.requests:>9} "
            f"{run.errors:>7} {run.per_second:>9.0f} {run.p50_ms:>8.2f} "
            f"{run.p99_ms:>8.2f} {ratio:>16}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time first")
    parser.add_argument(
        "--concurrency", default="1,64,200", help="comma-separated concurrencies to run"
    )
    parser.add_argument(
        "--tracing",
        choices=("none", "console", "otlp"),
        default="none",
        help="OTEL_EXPORTER for the services and gateways (console: spans to the log file)",
    )
    args = parser.parse_args(argv)
    concurrencies = [int(part) for part in args.concurrency.split(",") if part.strip()]
    stop_on_signals()

    secret = secrets.token_hex(32)
    token = issue_token(USER, secret=secret, ttl_seconds=3600)
    results: list[Result] = []
    print(
        f"gateway bench: {args.seconds:g} s per target after {args.warmup:g} s warm-up, "
        f"concurrency {','.join(map(str, concurrencies))}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, tracing {args.tracing}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="huoli-bench-") as tmp:
        workdir = Path(tmp)
        with (
            reporting_failures(workdir / "processes.log"),
            running_system(workdir, secret, args.tracing) as urls,
            LoadGenerator() as generator,
        ):
            targets = prepare_targets(urls, token)
            for concurrency in concurrencies:
                for target in targets:
                    print(f"  c={concurrency} {target.name} ...", flush=True)
                    measured = generator.measure(
                        target.call, concurrency, args.seconds, args.warmup
                    )
                    results.append(Result(target.name, measured))
    print()
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
