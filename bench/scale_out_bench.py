"""Events per second applied by one and by two scoring instances on the same data
(`make bench-scale-out`).

For each instance count: a fresh embedded broker and a fresh PostgreSQL database; the scoring
instances (separate processes, the real service with its ledger consumer) start and settle into
the `scoring.ledger` group on the 6-partition topic; then the same `activity.recorded` messages
(50 communities, so every partition has work; a workload of bench/scoring_bench.py) are
produced and the clock runs until the ledger holds every one of them.

    .venv/bin/python bench/scale_out_bench.py [--events 20000] [--instances 1,2]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.common import INTERNAL_SECRET, reporting_failures, stop_on_signals  # noqa: E402
from bench.scoring_bench import WORKLOADS, produce  # noqa: E402
from devstack.broker import EmbeddedBroker  # noqa: E402
from devstack.processes import ManagedProcess, free_port, uvicorn_argv, wait_for_http  # noqa: E402
from services.common.components import SERVICES  # noqa: E402
from services.common.db import create_engine  # noqa: E402

SCORING = next(component for component in SERVICES if component.name == "scoring")
TOPIC = "huoli.activities"
# Long enough for every instance to have joined and the group to have settled.
SETTLE_SECONDS = 8.0


async def applied(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                # The ledger, not the inbox: activities take no inbox row (ledger/handlers.py).
                text("SELECT count(*) FROM ledger_entry")
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def run_once(
    instances: int, events: int, admin_dsn: str, workdir: Path, workload: str
) -> tuple[float, float]:
    """Seconds to produce, and events/s from the first message produced to the last applied."""
    name = f"huoli_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    database_url = (
        admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        + f"/{name}"
    )
    try:
        with ExitStack() as stack:
            log = stack.enter_context(
                (workdir / f"run-{instances}.log").open("a", encoding="utf-8")
            )
            broker = await asyncio.to_thread(EmbeddedBroker(output=log).start)
            stack.callback(broker.stop)
            env = {
                **os.environ,
                "HUOLI_ENV": "test",
                "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                "KAFKA_SESSION_TIMEOUT_MS": "3000",
                "SCORING_DATABASE_URL": database_url,
                "LOG_LEVEL": "WARNING",
            }
            for n in range(instances):
                port = free_port()
                process = ManagedProcess(
                    f"scoring-{n + 1}", uvicorn_argv(SCORING.app, port), env=env, output=log
                ).start()
                stack.callback(process.stop)
                await asyncio.to_thread(
                    wait_for_http, f"http://127.0.0.1:{port}/readyz", process=process
                )
            await asyncio.sleep(SETTLE_SECONDS)
            started = time.perf_counter()
            await produce(broker.bootstrap_servers, TOPIC, events, workload)
            produced = time.perf_counter() - started
            while True:
                if await applied(database_url) >= events:
                    break
                await asyncio.sleep(0.2)
            return produced, events / (time.perf_counter() - started)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--instances", default="1,2")
    parser.add_argument("--workload", choices=WORKLOADS, default="zipf")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()
    stop_on_signals()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(
        f"{options.events} activity.recorded ({options.workload}) over 50 communities,"
        " 6 partitions, PostgreSQL"
    )
    rates: list[float] = []
    with tempfile.TemporaryDirectory(prefix="scale-out-bench-") as tmp:
        workdir = Path(tmp)
        with reporting_failures(workdir / "processes.log"):
            for instances in (int(n) for n in options.instances.split(",")):
                produced, rate = asyncio.run(
                    run_once(instances, options.events, options.postgres, workdir, options.workload)
                )
                rates.append(rate)
                print(
                    f"  {instances} scoring instance(s): {rate:>8,.0f} events/s applied "
                    f"(producing took {produced:.1f} s of it)"
                )
            if len(rates) == 2:
                print(f"  scale-out {rates[1] / rates[0]:.2f}x  (target ≥ 1.7x)")


if __name__ == "__main__":
    main()
