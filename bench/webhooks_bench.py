"""Webhook delivery: how fast events become signed deliveries at a local receiver.

One run starts the embedded broker and the gateway (its own process, one uvicorn worker, SQLite
in a temporary directory), subscribes a receiver served by this process (it verifies every
delivery with the `standardwebhooks` package), then:

- latency: publishes events one at a time at a steady rate and measures, per event, the time
  from its publication on the broker to its arrival at the receiver (p50, p95, max);
- throughput: publishes a burst across many communities at once and measures deliveries per
  second from the first publication to the last arrival.

Every delivery must arrive once per webhook-id and verify.

    .venv/bin/python bench/webhooks_bench.py [--latency-events 200] [--rate 50]
                                             [--burst 2000] [--communities 100]
"""

import argparse
import asyncio
import os
import platform
import secrets
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from aiokafka import AIOKafkaProducer
from standardwebhooks import Webhook, WebhookVerificationError

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from bench.common import INTERNAL_SECRET, reporting_failures, stop_on_signals  # noqa: E402
from devstack.broker import EmbeddedBroker  # noqa: E402
from devstack.processes import ManagedProcess, free_port, uvicorn_argv, wait_for_http  # noqa: E402
from gateway.identity.tokens import issue_token  # noqa: E402
from services.common.events.catalogue import MemberJoined  # noqa: E402
from services.common.events.envelope import CloudEvent  # noqa: E402


class Receiver:
    """Verifies and timestamps every delivery."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        self.unverified = 0
        self.arrived = asyncio.Event()
        self.expected = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        arrived_at = time.time()
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.unverified += 1
            return web.Response(status=400)
        webhook_id = request.headers["webhook-id"]
        if webhook_id in self.arrivals:
            self.duplicates += 1
        else:
            self.arrivals[webhook_id] = arrived_at
        if len(self.arrivals) >= self.expected:
            self.arrived.set()
        return web.Response(status=204)


def envelope(community_id: str) -> CloudEvent:
    event = MemberJoined(
        community_id=community_id,
        member_id=f"m-{uuid.uuid4().hex[:10]}",
        user_id=f"u-{uuid.uuid4().hex[:10]}",
        display_name="Bench 成员",
        status="active",
        role="member",
        joined_at=datetime.now(UTC),
    )
    return CloudEvent(
        source="huoli/members",
        type=event.type,
        subject=event.member_id,
        communityid=community_id,
        data=event.model_dump(mode="json"),
    )


async def publish(producer: AIOKafkaProducer, event: CloudEvent) -> float:
    """Publish and return when the broker acknowledged it (what the latency counts from)."""
    await producer.send_and_wait(
        "huoli.members",
        value=event.model_dump_json().encode(),
        key=(event.communityid or "").encode(),
    )
    return time.time()


async def wait_for(receiver: Receiver, count: int, within: float) -> None:
    receiver.expected = count
    receiver.arrived.clear()
    if len(receiver.arrivals) >= count:
        return
    await asyncio.wait_for(receiver.arrived.wait(), within)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(args: argparse.Namespace, gateway_url: str, broker: str, token: str) -> None:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=0)
    await producer.start()
    try:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client:
            created = await client.post(
                "/v1/webhooks",
                json={"url": f"http://127.0.0.1:{port}/hook", "event_types": ["member.joined"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            if created.status_code != 201:
                raise RuntimeError(f"subscribing failed: {created.status_code} {created.text}")
            receiver.secret = created.json()["secret"]

        # Warm-up: the gateway's consumer joins its group; the first event waits for that.
        await publish(producer, envelope("c-warmup"))
        await wait_for(receiver, 1, within=60)

        published: dict[str, float] = {}
        for n in range(args.latency_events):
            event = envelope(f"c-latency-{n % 10}")
            published[event.id] = await publish(producer, event)
            await asyncio.sleep(1 / args.rate)
        await wait_for(receiver, 1 + args.latency_events, within=60)
        latencies = [(receiver.arrivals[eid] - at) * 1000 for eid, at in published.items()]

        burst = [envelope(f"c-burst-{n % args.communities}") for n in range(args.burst)]
        started = time.time()
        sends = [
            await producer.send(
                "huoli.members",
                value=event.model_dump_json().encode(),
                key=(event.communityid or "").encode(),
            )
            for event in burst
        ]
        await asyncio.gather(*sends)
        await wait_for(receiver, 1 + args.latency_events + args.burst, within=300)
        finished = max(receiver.arrivals[event.id] for event in burst)
        per_second = args.burst / (finished - started)
    finally:
        await producer.stop()
        await runner.cleanup()

    print()
    print(f"latency, {args.latency_events} events at {args.rate:g}/s (publish ack → arrival):")
    print(
        f"  p50 {percentile(latencies, 0.5):.1f} ms   p95 {percentile(latencies, 0.95):.1f} ms"
        f"   max {max(latencies):.1f} ms"
    )
    print(f"throughput, a burst of {args.burst} events over {args.communities} communities:")
    print(f"  {per_second:.0f} deliveries/s ({finished - started:.2f} s)")
    print(f"duplicates {receiver.duplicates}, unverified {receiver.unverified}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="events/s while measuring latency")
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--communities", type=int, default=100)
    args = parser.parse_args(argv)
    stop_on_signals()
    secret = secrets.token_hex(32)
    token = issue_token("bench-admin", secret=secret, roles=("platform_admin",), ttl_seconds=3600)
    print(f"webhooks bench: {os.cpu_count()} CPUs, Python {platform.python_version()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="huoli-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        log = stack.enter_context((workdir / "processes.log").open("a", encoding="utf-8"))
        stack.enter_context(reporting_failures(workdir / "processes.log"))
        broker = EmbeddedBroker(output=log).start()
        stack.callback(broker.stop)
        port = free_port()
        env: dict[str, Any] = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "HUOLI_ENV": "development",
            "LOG_LEVEL": "WARNING",
            "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
            "JWT_SECRET": secret,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gateway.db'}",
            "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        }
        gateway = ManagedProcess(
            "gateway", uvicorn_argv("gateway.app:create_app", port), env=env, output=log
        ).start()
        stack.callback(gateway.stop)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/healthz", process=gateway)
        asyncio.run(run(args, url, broker.bootstrap_servers, token))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
