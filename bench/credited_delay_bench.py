"""The delay from scoring crediting points to the members service's projection holding them:
`engagement.credited` published on the embedded broker, consumed by a members service in this
process (group `members.credited`, inbox), until its `credited_day` row is readable.

    .venv/bin/python bench/credited_delay_bench.py [--events 300] [--rate 50]

Each event credits one new member one day; events go out at `--rate` a second; a poller reads
the table every 2 ms. Prints p50 and p99 of publish → readable, on SQLite.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaProducer  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.common import stop_on_signals  # noqa: E402
from devstack.broker import EmbeddedBroker  # noqa: E402
from services.common.events.catalogue import EngagementCredited  # noqa: E402
from services.common.events.catalogue.scoring import CreditedDay  # noqa: E402
from services.common.events.envelope import CloudEvent, utc_now  # noqa: E402
from services.members.app import create_app  # noqa: E402
from services.members.credited.repository import CREDITED_DAY as CREDITED  # noqa: E402
from services.members.settings import MembersSettings  # noqa: E402

CID = "cmty_delay"


def envelope(n: int) -> bytes:
    event = EngagementCredited(
        community_id=CID,
        credited=[
            CreditedDay(
                member_id=f"mbr_{n:06d}",
                day=date(2026, 12, 7),
                points=1.0,
                activities=1,
                last_activity_at=utc_now(),
            )
        ],
        credited_at=utc_now(),
    )
    cloud = CloudEvent(
        source="huoli/scoring",
        type=event.type,
        subject=CID,
        communityid=CID,
        data=event.model_dump(mode="json"),
    )
    return cloud.model_dump_json().encode()


async def measure(bootstrap: str, database_url: str, events: int, rate: float) -> list[float]:
    settings = MembersSettings(
        database_url=database_url, kafka_bootstrap_servers=bootstrap, environment="test"
    )
    app = create_app(settings)
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        # A first event, waited for: the consumer has joined its group before timing starts.
        await producer.send_and_wait(EngagementCredited.kafka_topic(), envelope(-1), CID.encode())
        while True:
            async with runtime.read_sessions() as session:
                found = (await session.execute(select(CREDITED.c.member_id))).scalars().all()
            if found:
                break
            await asyncio.sleep(0.05)

        async def poll() -> None:
            while len(seen) < events + 1:  # and the warm-up event
                async with runtime.read_sessions() as session:
                    rows = (await session.execute(select(CREDITED.c.member_id))).scalars().all()
                now = time.perf_counter()
                for member_id in rows:
                    seen.setdefault(member_id, now)
                await asyncio.sleep(0.002)

        poller = asyncio.create_task(poll())
        for n in range(events):
            sent[f"mbr_{n:06d}"] = time.perf_counter()
            await producer.send_and_wait(
                EngagementCredited.kafka_topic(), envelope(n), CID.encode()
            )
            await asyncio.sleep(1 / rate)
        await asyncio.wait_for(poller, timeout=120)
        await producer.stop()
    return sorted(seen[member] - at for member, at in sent.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    stop_on_signals()
    broker = EmbeddedBroker().start()
    try:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'members.db'}"
            delays = asyncio.run(measure(broker.bootstrap_servers, url, args.events, args.rate))
    finally:
        broker.stop()
    p99 = delays[min(len(delays) - 1, round(0.99 * (len(delays) - 1)))]
    print(
        f"credited → members' projection (SQLite): p50 {statistics.median(delays) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms over {len(delays)} events at {args.rate:g}/s"
    )


if __name__ == "__main__":
    main()
