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
from gateway.webhooks.schemas import WebhookDisabled
from gateway.webhooks.signing import signature_header
from gateway.webhooks.ssrf import GuardedResolver, UnsafeWebhookUrl, checked_url
from services.common.db import on_commit
from services.common.events.catalogue import EVENT_TYPES
from services.common.events.consumer import HandlerRegistry
from services.common.events.envelope import CloudEvent
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

JITTER = 0.1
DISABLE_AFTER = timedelta(days=5)
LEASE = timedelta(seconds=60)
# Honoured Retry-After is capped: a receiver cannot park a delivery for longer than this.
MAX_RETRY_AFTER_SECONDS = 36000.0
WEBHOOKS_GROUP = "gateway.webhooks"
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


async def fan_out(
    session: AsyncSession,
    *,
    event_id: str,
    event_type: str,
    community_id: str | None,
    body: str,
    exclude: str | None = None,
) -> int:
    """One delivery of the event per subscribed endpoint; returns how many were new."""
    now = datetime.now(UTC)
    created = 0
    for endpoint in await repository.subscribers(session, community_id):
        if endpoint.id == exclude or not subscribed(list(endpoint.event_types), event_type):
            continue
        values = new_delivery(
            endpoint_id=endpoint.id,
            event_id=event_id,
            event_type=event_type,
            community_id=community_id or "",
            body=body,
            now=now,
        )
        created += await repository.add_delivery(session, values)
    return created


def fan_out_handlers(wake: Callable[[], None]) -> HandlerRegistry:
    """The `gateway.webhooks` consumer's handlers: every type in the catalogue."""

    async def on_event(uow: UnitOfWork, _event: Any, envelope: CloudEvent) -> None:
        created = await fan_out(
            uow.session,
            event_id=envelope.id,
            event_type=envelope.type,
            community_id=envelope.communityid,
            body=payload(envelope.type, envelope.time, envelope.data),
        )
        if created:
            on_commit(uow.session, wake)

    return dict.fromkeys(EVENT_TYPES.values(), on_event)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    retry_after_seconds: float | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


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
    """Sends due deliveries until cancelled; `wake()` after new deliveries are committed."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        allow_private_urls: bool,
        retry_schedule_seconds: Sequence[float],
        timeout_seconds: float,
        poll_seconds: float = 1.0,
        batch: int = 200,
        concurrency: int = 64,
    ) -> None:
        self._sessions = sessions
        self._allow_private = allow_private_urls
        self._schedule = tuple(retry_schedule_seconds)
        self._timeout = timeout_seconds
        self._poll_seconds = poll_seconds
        self._batch = batch
        self._concurrency = concurrency
        self._wakeup = asyncio.Event()
        self._client: aiohttp.ClientSession | None = None

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
            try:
                while True:
                    self._wakeup.clear()
                    sent = await self.send_due()
                    if sent < self._batch:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wakeup.wait(), await self._idle_time())
            finally:
                self._client = None

    async def _idle_time(self) -> float:
        """Until the next delivery is due, at most `poll_seconds` (another replica may add some;
        this one's own are announced by `wake`)."""
        async with self._sessions() as session:
            earliest = await repository.earliest_pending(session)
        if earliest is None:
            return self._poll_seconds
        until = (earliest - datetime.now(UTC)).total_seconds()
        return min(self._poll_seconds, max(0.005, until))

    async def send_due(self) -> int:
        """Attempt every due delivery once (the batch's); returns how many were attempted."""
        now = datetime.now(UTC)
        async with self._sessions() as session:
            due = await repository.due_deliveries(session, now=now, limit=self._batch)
            leased = []
            for delivery in due:
                if await repository.lease_delivery(
                    session,
                    delivery_id=delivery.id,
                    seen_at=delivery.next_attempt_at,
                    until=now + LEASE,
                ):
                    leased.append(delivery)
            await session.commit()
        if leased:
            await asyncio.gather(*(self._attempt(delivery) for delivery in leased))
        return len(leased)

    async def _attempt(self, delivery: Row[Any]) -> None:
        outcome = await self._send(delivery)
        await self._record(delivery, outcome)

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
            cause = exc.__cause__ if isinstance(exc.__cause__, UnsafeWebhookUrl) else exc
            detail = cause.detail if isinstance(cause, UnsafeWebhookUrl) else repr(cause)
            return done(None, detail[:500])

    async def _record(self, delivery: Row[Any], outcome: Outcome) -> None:
        now = datetime.now(UTC)
        attempts = delivery.attempts + 1
        changes: dict[str, Any] = {
            "attempts": attempts,
            "last_attempt_at": now,
            "last_status_code": outcome.status_code,
        }
        disable_reason: str | None = None
        endpoint_changes: dict[str, Any] = {}
        if outcome.succeeded:
            changes.update(status=SUCCEEDED, next_attempt_at=None)
            endpoint_changes["failing_since"] = None
        else:
            delay = (
                None
                if outcome.status_code == 410
                else next_delay(self._schedule, attempts, outcome.retry_after_seconds)
            )
            if delay is None:
                changes.update(status=FAILED, next_attempt_at=None)
            else:
                changes["next_attempt_at"] = now + timedelta(seconds=delay)
            if outcome.status_code == 410:
                disable_reason = "the endpoint answered 410 Gone"
        async with self._sessions() as session:
            endpoint = await repository.find_endpoint(session, delivery.endpoint_id)
            if endpoint is None:
                return  # deleted meanwhile, its deliveries with it
            if not outcome.succeeded and disable_reason is None:
                failing_since = endpoint.failing_since or now
                endpoint_changes["failing_since"] = failing_since
                if now - failing_since >= DISABLE_AFTER:
                    disable_reason = "deliveries failed for 5 days"
            await repository.record_attempt(
                session,
                attempt={
                    "delivery_id": delivery.id,
                    "attempted_at": now,
                    "status_code": outcome.status_code,
                    "error": outcome.error,
                    "duration_ms": outcome.duration_ms,
                },
                delivery_id=delivery.id,
                changes=changes,
            )
            if disable_reason is not None and endpoint.enabled:
                endpoint_changes.update(enabled=False, disabled_reason=disable_reason)
                await announce_disabled(session, endpoint, reason=disable_reason, now=now)
                logger.warning("webhook %s disabled: %s", endpoint.id, disable_reason)
            if endpoint_changes and any(
                getattr(endpoint, name) != value for name, value in endpoint_changes.items()
            ):
                await repository.update_endpoint(session, endpoint.id, endpoint_changes)
            await session.commit()
        if disable_reason is not None:
            self.wake()


async def announce_disabled(
    session: AsyncSession, endpoint: Row[Any], *, reason: str, now: datetime
) -> None:
    """`webhook.disabled`, to the other endpoints subscribed to it."""
    event = WebhookDisabled(
        webhook_id=endpoint.id,
        community_id=endpoint.community_id,
        url=endpoint.url,
        reason=reason,
        disabled_at=now,
    )
    await fan_out(
        session,
        event_id=new_id("evt"),
        event_type=WebhookDisabled.type,
        community_id=endpoint.community_id,
        body=payload(WebhookDisabled.type, now, event.model_dump(mode="json")),
        exclude=endpoint.id,
    )
