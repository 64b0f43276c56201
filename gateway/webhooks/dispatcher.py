"""Webhook delivery: a consumer (group `gateway.webhooks`) turns each domain event into one
delivery row per subscribed endpoint, in the transaction that records the event in the inbox;
a sender sends the due deliveries, signed, and records every attempt.

Retries follow a persisted schedule (`next_attempt_at`; by default the delay before each
attempt is: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each ±10 % jitter, or longer
when the endpoint's Retry-After asks for it, up to 10 h); only a 2xx answer is a success: 3xx,
other statuses, refused connections and timeouts (15 s by default) are failures. After the
last attempt a delivery is `failed` (it can be redelivered). 410 disables the endpoint at once;
so do 5 days of failures without a success. One community's
events reach an endpoint in order: a delivery waits while an older one of the same community to
the same endpoint is pending.

Each attempt first leases its delivery (moves its next attempt a minute on, conditionally), so
replicas never send one delivery at the same time; a replica that dies mid-attempt leaves the
lease to expire and another retries. Delivery is at least once: receivers dedupe by webhook-id.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.storage import webhooks as repository
from gateway.storage.webhooks import FAILED, PENDING, SUCCEEDED
from gateway.webhooks.signing import signature_header
from gateway.webhooks.ssrf import GuardedResolver, UnsafeWebhookUrl, checked_url
from services.common.components import GATEWAY
from services.common.events.catalogue import ALL_TOPICS, EVENT_TYPES, WebhookDisabled, topic_of
from services.common.events.consumer import ConsumerLoop, EventReader, Records
from services.common.events.envelope import CloudEvent
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox
from services.common.ids import new_id
from services.common.metrics import WEBHOOK_FAILURES

logger = logging.getLogger(__name__)

JITTER = 0.1
DISABLE_AFTER = timedelta(days=5)
LEASE = timedelta(seconds=60)
# Honoured Retry-After is capped: a receiver cannot park a delivery for longer than this.
MAX_RETRY_AFTER_SECONDS = 36000.0
WEBHOOKS_GROUP = "gateway.webhooks"
# The gateway's own events were fanned out in the transaction that wrote them to the outbox;
# reading them back from Kafka would only find their deliveries there already.
FANNED_OUT_TOPICS = tuple(topic for topic in ALL_TOPICS if topic != topic_of(GATEWAY.name))
USER_AGENT = "Huoli-Webhooks/1.0"


def payload(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The body Standard Webhooks prescribes: {"type", "timestamp", "data"}."""
    return orjson.dumps(
        {"type": event_type, "timestamp": occurred_at.astimezone(UTC).isoformat(), "data": data}
    ).decode()


def new_delivery(
    *, endpoint_id: str, event_id: str, event_type: str, community_id: str, body: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id("whd"),
        "endpoint_id": endpoint_id,
        "event_id": event_id,
        "event_type": event_type,
        "community_id": community_id,
        "payload": body,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def subscribed(event_types: list[str], event_type: str) -> bool:
    return event_type in event_types or "*" in event_types


@dataclass(frozen=True)
class Announced:
    """An event to fan out: its id (the webhook-id), type, community and the body to send."""

    event_id: str
    event_type: str
    community_id: str | None
    body: str


async def fan_out(
    session: AsyncSession, events: Sequence[Announced], *, exclude: str | None = None
) -> int:
    """One delivery of each event per endpoint subscribed to it, in one statement; events
    already delivered to an endpoint are skipped. Returns how many deliveries were built."""
    endpoints = await repository.subscribers(
        session, {event.community_id or "" for event in events}
    )
    now = datetime.now(UTC)
    rows = [
        new_delivery(
            endpoint_id=endpoint.id,
            event_id=event.event_id,
            event_type=event.event_type,
            community_id=event.community_id or "",
            body=event.body,
            now=now,
        )
        for event in events
        for endpoint in endpoints
        if endpoint.id != exclude
        and endpoint.community_id in (None, event.community_id)
        and subscribed(list(endpoint.event_types), event.event_type)
    ]
    await repository.add_deliveries(session, rows)
    return len(rows)


def announced(envelope: CloudEvent) -> Announced:
    return Announced(
        event_id=envelope.id,
        event_type=envelope.type,
        community_id=envelope.communityid,
        body=payload(envelope.type, envelope.time, envelope.data),
    )


class FanOutConsumer:
    """The `gateway.webhooks` consumer: every type in the catalogue, each batch the loop polls
    turned into deliveries in one transaction. It needs no inbox rows: a delivery is unique per
    (endpoint, event), so a redelivered event adds nothing."""

    def __init__(
        self,
        *,
        wake: Callable[[], None],
        sessions: async_sessionmaker[AsyncSession],
        kafka: KafkaLink,
        max_attempts: int,
        stopping: asyncio.Event,
    ) -> None:
        self.group_id = WEBHOOKS_GROUP
        self.sessions = sessions
        self.max_attempts = max_attempts
        self._wake = wake
        self.reader = EventReader(group_id=WEBHOOKS_GROUP, handled_types=EVENT_TYPES, kafka=kafka)
        self.loop = ConsumerLoop(
            group_id=WEBHOOKS_GROUP,
            topics=FANNED_OUT_TOPICS,
            kafka=kafka,
            stopping=stopping,
            apply=self.fan_out,
        )

    async def run(self) -> None:
        await self.loop.run()

    async def fan_out(self, records: Records) -> None:
        events = [announced(envelope) for _, envelope, _ in await self.reader.handled(records)]
        if events:
            await self._deliver(events)

    async def _deliver(self, events: list[Announced]) -> None:
        for attempt in range(self.max_attempts):
            try:
                async with self.sessions() as session:
                    created = await fan_out(session, events)
                    await session.commit()
            except Exception as exc:
                if attempt + 1 == self.max_attempts:
                    raise
                logger.warning("webhook fan-out failed (attempt %d): %r", attempt + 1, exc)
                await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
                continue
            if created:
                self._wake()
            return


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    retry_after_seconds: float | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def failure_kind(self) -> str:
        """A bounded label for metrics: `3xx`, `4xx`, `5xx`, or `no_response` (refused,
        timed out, blocked)."""
        if self.status_code is None:
            return "no_response"
        return f"{self.status_code // 100}xx"


def next_delay(
    schedule: Sequence[float], attempts_made: int, retry_after_seconds: float | None
) -> float | None:
    """Seconds until the next attempt after `attempts_made` failures; None when none is left.
    `schedule` holds the delay before each attempt, the first (immediate) one included."""
    if attempts_made >= len(schedule):
        return None
    # Jitter spreads the retries of many deliveries that failed together (an outage).
    delay = schedule[attempts_made] * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311
    if retry_after_seconds is not None:
        delay = max(delay, min(retry_after_seconds, MAX_RETRY_AFTER_SECONDS))
    return delay


def retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


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
        self._outcomes: asyncio.Queue[tuple[Row[Any], Outcome]] = asyncio.Queue()

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
        async with self._sessions() as session:
            due = await repository.due_deliveries(session, now=now, limit=room)
            leased = await repository.lease_deliveries(
                session, delivery_ids=[row.id for row in due], now=now, until=now + LEASE
            )
            await session.commit()
        for delivery in due:
            if delivery.id in leased and delivery.id not in self._in_flight:
                self._in_flight[delivery.id] = asyncio.create_task(self._attempt(delivery))
        return len(leased)

    async def _attempt(self, delivery: Row[Any]) -> None:
        outcome = await self._send(delivery)
        if not outcome.succeeded:
            WEBHOOK_FAILURES.labels(outcome.failure_kind()).inc()
        await self._outcomes.put((delivery, outcome))

    async def _send(self, delivery: Row[Any]) -> Outcome:
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
                for delivery, _outcome in batch:
                    self._in_flight.pop(delivery.id, None)
            self.wake()

    async def _record(self, batch: list[tuple[Row[Any], Outcome]]) -> None:
        now = datetime.now(UTC)
        async with self._sessions() as session:
            endpoints = await repository.find_endpoints(
                session, {delivery.endpoint_id for delivery, _ in batch}
            )
            # Each endpoint's state as the batch leaves it, then written once.
            failing_since = {eid: row.failing_since for eid, row in endpoints.items()}
            disabled: dict[str, str] = {}
            attempts: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            for delivery, outcome in batch:
                if delivery.endpoint_id not in endpoints:
                    continue  # deleted meanwhile, its deliveries with it
                state = self._next_state(delivery, outcome, now)
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
            for endpoint_id, endpoint in endpoints.items():
                endpoint_changes: dict[str, Any] = {}
                if failing_since[endpoint_id] != endpoint.failing_since:
                    endpoint_changes["failing_since"] = failing_since[endpoint_id]
                reason = disabled.get(endpoint_id)
                if reason is not None and endpoint.enabled:
                    endpoint_changes.update(enabled=False, disabled_reason=reason)
                    await announce_disabled(session, self._outbox, endpoint, reason=reason, now=now)
                    logger.warning("webhook %s disabled: %s", endpoint_id, reason)
                if endpoint_changes:
                    await repository.update_endpoint(session, endpoint_id, endpoint_changes)
            await session.commit()

    def _next_state(self, delivery: Row[Any], outcome: Outcome, now: datetime) -> dict[str, Any]:
        """The delivery after this attempt: succeeded, failed for good, or due again later."""
        attempts = delivery.attempts + 1
        status, next_attempt_at = PENDING, None
        if outcome.succeeded:
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


async def announce_disabled(
    session: AsyncSession, outbox: Outbox, endpoint: Row[Any], *, reason: str, now: datetime
) -> None:
    """`webhook.disabled`: on Kafka through the outbox, and to the other endpoints subscribed to
    it, both in the transaction that disables the endpoint. The delivery's webhook-id is the
    event's id, so a receiver can match it with the event as other consumers see it."""
    event = WebhookDisabled(
        webhook_id=endpoint.id,
        community_id=endpoint.community_id,
        url=endpoint.url,
        reason=reason,
        disabled_at=now,
    )
    envelope = await outbox.add(session, event, event_id=new_id("evt"), time=now)
    body = payload(WebhookDisabled.type, now, envelope.data)
    announcement = Announced(envelope.id, WebhookDisabled.type, endpoint.community_id, body)
    await fan_out(session, [announcement], exclude=endpoint.id)
