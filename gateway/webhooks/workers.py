"""Webhook delivery and retry: a consumer (group `gateway.webhooks`, handlers.py) turns each
domain event into one delivery row per subscribed endpoint, in the transaction that records the
event in the inbox; the sender here sends the due deliveries, signed, and records every attempt.

Retries follow a persisted schedule (`next_attempt_at`; by default the delay before each
attempt is: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each ±10 % jitter, or longer
when the endpoint's Retry-After asks for it, up to 10 h); only a 2xx answer is a success: 3xx,
other statuses, refused connections and timeouts (15 s by default) are failures. After the
last attempt a delivery is `failed` (it can be redelivered). 410 disables the endpoint at once;
so do 5 days of failures without a success. One community's
events reach an endpoint in order: a delivery waits while an older one of the same community to
the same endpoint is pending.

A receiver that comes back is not left waiting on the schedule. An endpoint that is failing
with a long queue (PROBE_QUEUE pending deliveries or more) is probed every PROBE_SECONDS: its
oldest waiting delivery is sent early, and a probe that fails is logged as an attempt but leaves
the delivery's schedule as it was. The first success after failures (a probe's or a scheduled
attempt's) makes every pending delivery to that endpoint due at once; each community's still go
one after another, in order.

Each attempt first leases its delivery (moves its next attempt a minute on, conditionally), so
replicas never send one delivery at the same time; a replica that dies mid-attempt leaves the
lease to expire and another retries. Delivery is at least once: receivers dedupe by webhook-id.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.webhooks import repository
from gateway.webhooks.repository import DeliveryRow
from gateway.webhooks.rules import FAILED, PENDING, SUCCEEDED, Outcome, next_delay, retry_after
from gateway.webhooks.service import announce_disabled
from gateway.webhooks.signing import signature_header
from gateway.webhooks.ssrf import GuardedResolver, UnsafeWebhookUrl, checked_url
from services.common.events.outbox import Outbox
from services.common.metrics import WEBHOOK_FAILURES
from services.common.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

DISABLE_AFTER = timedelta(days=5)
LEASE = timedelta(seconds=60)
# A failing endpoint with this many deliveries waiting is probed every PROBE_SECONDS, whatever
# its schedule says: a 60 s outage would otherwise leave the backlog waiting for the 5-minute
# step (30 minutes after a 6-minute one).
PROBE_QUEUE = 10
PROBE_SECONDS = 10.0
USER_AGENT = "Huoli-Webhooks/1.0"


class WebhookSender:
    """Sends due deliveries until cancelled; `wake()` after new deliveries are committed.

    Up to `concurrency` attempts are in flight at once, each on a leased delivery; their
    outcomes are recorded in batches (one transaction for whatever finished meanwhile), and
    each batch recorded wakes the sender, since it may have made the next of a community's
    deliveries the oldest pending one."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        allow_private_urls: bool,
        retry_schedule_seconds: Sequence[float],
        timeout_seconds: float,
        poll_seconds: float = 1.0,
        concurrency: int = 64,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._allow_private = allow_private_urls
        self._schedule = tuple(retry_schedule_seconds)
        self._timeout = timeout_seconds
        self._poll_seconds = poll_seconds
        self._concurrency = concurrency
        self._wakeup = asyncio.Event()
        self._client: aiohttp.ClientSession | None = None
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        # Each finished attempt: the delivery, its outcome, and whether it was a probe.
        self._outcomes: asyncio.Queue[tuple[DeliveryRow, Outcome, bool]] = asyncio.Queue()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_private=self._allow_private),
            limit=self._concurrency,
            limit_per_host=16,
            # A receiver's keep-alive may differ from ours: never trust an idle connection long.
            keepalive_timeout=4.0,
        )
        async with aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            trust_env=False,
        ) as client:
            self._client = client
            recorder = asyncio.create_task(self._record_forever())
            try:
                while True:
                    self._wakeup.clear()
                    await self.send_due()
                    idle = await self._idle_time()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), idle)
            finally:
                for task in [recorder, *self._in_flight.values()]:
                    task.cancel()
                await asyncio.gather(recorder, *self._in_flight.values(), return_exceptions=True)
                self._in_flight.clear()
                self._client = None

    async def _idle_time(self) -> float:
        """Until the next delivery may be sent, at most `poll_seconds` (another replica may add
        some; this one's own are announced by `wake`)."""
        if len(self._in_flight) >= self._concurrency:
            return self._poll_seconds  # a finished attempt wakes the sender
        async with self._sessions() as session:
            earliest = await repository.earliest_due(session)
        if earliest is None:
            return self._poll_seconds
        until = (earliest - datetime.now(UTC)).total_seconds()
        return min(self._poll_seconds, max(0.005, until))

    async def send_due(self) -> int:
        """Start an attempt of each due delivery there is room for; returns how many."""
        room = self._concurrency - len(self._in_flight)
        if room <= 0:
            return 0
        now = datetime.now(UTC)
        async with UnitOfWork(self._sessions, self._outbox) as uow:
            due = await repository.due_deliveries(uow.session, now=now, limit=room)
            leased = await repository.lease_deliveries(
                uow.session, delivery_ids=[row.id for row in due], now=now, until=now + LEASE
            )
            probes: list[DeliveryRow] = []
            if len(leased) < room:
                probed_before = now - timedelta(seconds=PROBE_SECONDS)
                probes = await repository.probe_heads(
                    uow.session,
                    now=now,
                    probed_before=probed_before,
                    min_queue=PROBE_QUEUE,
                    limit=room - len(leased),
                )
                probes = [row for row in probes if row.id not in self._in_flight]
                claimed = await repository.claim_probes(
                    uow.session,
                    delivery_ids=[row.id for row in probes],
                    now=now,
                    probed_before=probed_before,
                )
                probes = [row for row in probes if row.id in claimed]
        for delivery in due:
            if delivery.id in leased and delivery.id not in self._in_flight:
                self._in_flight[delivery.id] = asyncio.create_task(self._attempt(delivery))
        for delivery in probes:
            self._in_flight[delivery.id] = asyncio.create_task(self._attempt(delivery, probe=True))
        return len(leased) + len(probes)

    async def _attempt(self, delivery: DeliveryRow, *, probe: bool = False) -> None:
        outcome = await self._send(delivery)
        if not outcome.succeeded:
            WEBHOOK_FAILURES.labels(outcome.failure_kind()).inc()
        await self._outcomes.put((delivery, outcome, probe))

    async def _send(self, delivery: DeliveryRow) -> Outcome:
        started = time.monotonic()

        def done(status: int | None, error: str | None, after: float | None = None) -> Outcome:
            elapsed = int((time.monotonic() - started) * 1000)
            return Outcome(status, error, after, elapsed)

        assert self._client is not None
        body = delivery.payload.encode()
        timestamp = int(time.time())
        now = datetime.now(UTC)
        secrets_in_force = [delivery.secret] + [
            old["secret"]
            for old in delivery.previous_secrets or []
            if datetime.fromisoformat(old["expires_at"]) > now
        ]
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                secrets_in_force, message_id=delivery.event_id, timestamp=timestamp, body=body
            ),
        }
        try:
            checked_url(delivery.url, allow_private=self._allow_private)
            async with self._client.post(
                delivery.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                after = retry_after(response.headers.get("retry-after"), now=now)
                return done(response.status, None, after)
        except UnsafeWebhookUrl as exc:
            return done(None, exc.detail)
        except TimeoutError:
            return done(None, f"no answer within {self._timeout:g} s")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return done(None, repr(exc)[:500])

    async def _record_forever(self) -> None:
        while True:
            batch = [await self._outcomes.get()]
            while not self._outcomes.empty():
                batch.append(self._outcomes.get_nowait())
            try:
                await self._record(batch)
            except Exception:
                # The leases lapse and the deliveries are attempted again: at least once.
                logger.exception("recording %d webhook attempts failed", len(batch))
            finally:
                for delivery, _outcome, _probe in batch:
                    self._in_flight.pop(delivery.id, None)
            self.wake()

    async def _record(self, batch: list[tuple[DeliveryRow, Outcome, bool]]) -> None:
        now = datetime.now(UTC)
        async with UnitOfWork(self._sessions, self._outbox) as uow:
            session = uow.session
            endpoints = await repository.find_endpoints(
                session, {delivery.endpoint_id for delivery, _, _ in batch}
            )
            # Each endpoint's state as the batch leaves it, then written once.
            failing_since = {eid: row.failing_since for eid, row in endpoints.items()}
            disabled: dict[str, str] = {}
            attempts: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            recovered: set[str] = set()
            for delivery, outcome, probe in batch:
                if delivery.endpoint_id not in endpoints:
                    continue  # deleted meanwhile, its deliveries with it
                state = self._next_state(delivery, outcome, now, probe=probe)
                changes.append({"delivery_id": delivery.id, **state})
                attempts.append(
                    {
                        "delivery_id": delivery.id,
                        "attempted_at": now,
                        "status_code": outcome.status_code,
                        "error": outcome.error,
                        "duration_ms": outcome.duration_ms,
                    }
                )
                endpoint_id = delivery.endpoint_id
                if outcome.succeeded:
                    if failing_since[endpoint_id] is not None:
                        recovered.add(endpoint_id)
                    failing_since[endpoint_id] = None
                    continue
                since = failing_since[endpoint_id] or now
                failing_since[endpoint_id] = since
                if outcome.status_code == 410:
                    disabled[endpoint_id] = "the endpoint answered 410 Gone"
                elif now - since >= DISABLE_AFTER:
                    disabled.setdefault(endpoint_id, "deliveries failed for 5 days")
            if attempts:
                await repository.record_attempts(session, attempts=attempts, changes=changes)
            if recovered:
                moved = await repository.pull_forward(session, recovered, now=now)
                logger.info(
                    "webhook endpoints %s answer again: %d waiting deliveries due now",
                    ", ".join(sorted(recovered)),
                    moved,
                )
            for endpoint_id, endpoint in endpoints.items():
                endpoint_changes: dict[str, Any] = {}
                if failing_since[endpoint_id] != endpoint.failing_since:
                    endpoint_changes["failing_since"] = failing_since[endpoint_id]
                reason = disabled.get(endpoint_id)
                if reason is not None and endpoint.enabled:
                    endpoint_changes.update(enabled=False, disabled_reason=reason)
                    await announce_disabled(session, uow.outbox, endpoint, reason=reason, now=now)
                    logger.warning("webhook %s disabled: %s", endpoint_id, reason)
                if endpoint_changes:
                    await repository.update_endpoint(session, endpoint_id, endpoint_changes)

    def _next_state(
        self, delivery: DeliveryRow, outcome: Outcome, now: datetime, *, probe: bool = False
    ) -> dict[str, Any]:
        """The delivery after this attempt: succeeded, failed for good, or due again later (a
        failed probe leaves it as its schedule had it)."""
        attempts = delivery.attempts + 1
        status, next_attempt_at = PENDING, None
        if probe and not outcome.succeeded and outcome.status_code != 410:
            attempts, next_attempt_at = delivery.attempts, delivery.next_attempt_at
        elif outcome.succeeded:
            status = SUCCEEDED
        else:
            delay = (
                None
                if outcome.status_code == 410
                else next_delay(self._schedule, attempts, outcome.retry_after_seconds)
            )
            if delay is None:
                status = FAILED
            else:
                next_attempt_at = now + timedelta(seconds=delay)
        return {
            "new_status": status,
            "new_attempts": attempts,
            "new_next_attempt_at": next_attempt_at,
            "new_last_attempt_at": now,
            "new_last_status_code": outcome.status_code,
        }
