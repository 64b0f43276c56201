"""What the gateway costs: the same read, straight to the members service and through the gateway.

One run starts, each as its own process with one uvicorn worker: the embedded broker, the
members service (SQLite in a temporary directory), and the gateway twice, once per HTTP transport
(aiohttp, the default, and plain httpx, whose pool slows down at high concurrency, httpx#3215).
It creates a community through the gateway, then drives `GET /v1/communities/{cid}` at each
target for a fixed time at a fixed concurrency, from a closed-loop load generator in a separate
process so it shares an event loop with nothing it measures, and prints one table.

    .venv/bin/python bench/gateway_bench.py [--seconds 10] [--concurrency 1,64,200] [--warmup 2]

Every process it starts is stopped on exit, also on Ctrl-C or SIGTERM.
"""

import argparse
import asyncio
import multiprocessing
import os
import platform
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import IO, Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from devstack.broker import EmbeddedBroker  # noqa: E402
from devstack.processes import ManagedProcess, free_port, wait_for_http  # noqa: E402
from gateway.tokens import issue_token  # noqa: E402
from services.common.auth import signed_actor_headers  # noqa: E402
from services.common.settings import DEVELOPMENT_INTERNAL_SECRET  # noqa: E402

TRANSPORTS = ("aiohttp", "httpx")
USER = "bench-user"


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Result:
    target: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


# --- the load generator (runs in its own process) -------------------------------------------


def run_load(
    url: str, headers: dict[str, str], concurrency: int, seconds: float, warmup: float
) -> dict[str, Any]:
    """Closed loop: `concurrency` workers, each sending its next request when the last answered.
    Only requests both sent and answered inside the measured window count."""
    try:
        import uvloop  # noqa: PLC0415 - optional; a faster loop keeps the generator out of the way

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_load(url, headers, concurrency, seconds, warmup))


def _load_in_child(connection: Connection, *args: Any) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it and ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        connection.send(run_load(*args))
    finally:
        connection.close()


def measure(target: Target, concurrency: int, seconds: float, warmup: float) -> Result:
    """Run the load generator in a fresh process against one target; stop it whatever happens."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    generator = context.Process(
        target=_load_in_child,
        args=(sending, target.url, target.headers, concurrency, seconds, warmup),
        daemon=True,
    )
    generator.start()
    sending.close()
    try:
        try:
            measured: dict[str, Any] = receiving.recv()
        except EOFError:
            raise RuntimeError(
                f"the load generator died (exit code {generator.exitcode})"
            ) from None
    finally:
        if generator.is_alive():
            generator.terminate()
        generator.join(5)
        receiving.close()
    return Result(target=target.name, concurrency=concurrency, seconds=seconds, **measured)


async def _load(
    url: str, headers: dict[str, str], concurrency: int, seconds: float, warmup: float
) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    measure_from = started + warmup
    measure_until = measure_from + seconds

    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=headers
    ) as session:

        async def worker() -> None:
            nonlocal errors
            while (sent := time.perf_counter()) < measure_until:
                ok = False
                try:
                    async with session.get(url) as response:
                        await response.read()
                        ok = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                answered = time.perf_counter()
                if sent >= measure_from and answered <= measure_until:
                    if ok:
                        latencies.append(answered - sent)
                    else:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- the system under test -------------------------------------------------------------------


def uvicorn_process(
    name: str, app: str, port: int, env: dict[str, str], output: IO[str]
) -> ManagedProcess:
    argv = [
        sys.executable, "-m", "uvicorn", app, "--factory",
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--no-access-log", "--timeout-graceful-shutdown", "3",
    ]  # fmt: skip
    return ManagedProcess(name, argv, env=env, output=output).start()


@contextmanager
def running_system(workdir: Path, secret: str) -> Iterator[dict[str, str]]:
    """Start broker, members and both gateways; yields base URLs by name; stops them all."""
    with ExitStack() as stack:
        log = stack.enter_context((workdir / "processes.log").open("a", encoding="utf-8"))
        base_env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "HUOLI_ENV": "development",
            "HUOLI_INTERNAL_SECRET": DEVELOPMENT_INTERNAL_SECRET,
            "LOG_LEVEL": "WARNING",
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
        # Signed as the gateway signs, for a whole run: the service checks it once, then
        # remembers it, as it does with the gateway's reused assertions.
        direct = signed_actor_headers(
            DEVELOPMENT_INTERNAL_SECRET, actor_id=USER, lifetime_seconds=3600
        )
        targets = [Target("direct (members)", f"{urls['members']}{path}", direct)]
        targets += [
            Target(f"gateway ({transport})", f"{urls[f'gateway-{transport}']}{path}", bearer)
            for transport in TRANSPORTS
        ]
        for target in targets:
            answer = client.get(target.url, headers=target.headers)
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
    direct: dict[int, Result] = {}
    for result in results:
        if result.target.startswith("direct"):
            direct[result.concurrency] = result
        baseline = direct.get(result.concurrency)
        ratio = (
            f"{result.per_second / baseline.per_second:.2f}x"
            if baseline is not None and baseline is not result and baseline.per_second
            else ""
        )
        print(
            f"{result.concurrency:>5}  {result.target:<18} {result.requests:>9} "
            f"{result.errors:>7} {result.per_second:>9.0f} {result.p50_ms:>8.2f} "
            f"{result.p99_ms:>8.2f} {ratio:>16}"
        )


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time first")
    parser.add_argument(
        "--concurrency", default="1,64,200", help="comma-separated concurrencies to run"
    )
    args = parser.parse_args(argv)
    concurrencies = [int(part) for part in args.concurrency.split(",") if part.strip()]
    # Explicitly, because a shell starting this in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    secret = secrets.token_hex(32)
    token = issue_token(USER, secret=secret, ttl_seconds=3600)
    results: list[Result] = []
    print(
        f"gateway bench: {args.seconds:g} s per target after {args.warmup:g} s warm-up, "
        f"concurrency {','.join(map(str, concurrencies))}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="huoli-bench-") as tmp:
        workdir = Path(tmp)
        try:
            with running_system(workdir, secret) as urls:
                targets = prepare_targets(urls, token)
                for concurrency in concurrencies:
                    for target in targets:
                        print(f"  c={concurrency} {target.name} ...", flush=True)
                        results.append(measure(target, concurrency, args.seconds, args.warmup))
        except KeyboardInterrupt:
            print("interrupted; every process was stopped", file=sys.stderr)
            return 130
        except Exception:
            log = workdir / "processes.log"
            if log.exists():
                tail = log.read_text(encoding="utf-8").splitlines()[-40:]
                print("process output (last lines):", *tail, sep="\n", file=sys.stderr)
            raise
    print()
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
