"""Kafka consumer with an inbox: each event is applied exactly once, whatever Kafka redelivers.

The handler's effect and the inbox row commit in one transaction; the offset is committed to
Kafka only afterwards. A crash in between redelivers the batch, and the inbox skips what was
applied. A failure is first told apart (`FailurePolicy`): a transient one (the database or
broker out of reach, a timeout, a serialization failure, a deadlock) pauses the consumer, which
retries the same message with a capped backoff for as long as it takes, commits no offset
meanwhile, and reports itself not ready. Only a message that keeps failing while the database
answers is poison: it goes to `<topic>.dlq` with the error attached before its offset is
committed, so nothing is dropped, and `huoli dlq replay` applies it again once the cause is
fixed.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.db_ops import insert_if_absent
from services.common.events.catalogue import DomainEvent, dlq_topic, parse
from services.common.events.envelope import CloudEvent, utc_now
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox
from services.common.events.tables import MessagingTables
from services.common.failpoints import failpoint
from services.common.faults import Readiness, Throttled, describe, is_transient, sleep_unless
from services.common.metrics import DEAD_LETTERS, record_consumer_lag
from services.common.tracing import TRACEPARENT_HEADER, traced, valid_traceparent
from services.common.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

# A paused consumer retries after 0.2 s, then twice as long each time up to this: a database
# back from an outage is noticed within seconds, and one that stays away costs a query a few
# seconds.
MAX_PAUSE_SECONDS = 5.0
# How long the health check before a dead letter may take: past it the database counts as down.
HEALTH_CHECK_SECONDS = 5.0

# A handler gets the same write boundary a route does: its effect, the events it emits (outbox)
# and the inbox row commit together.
Handler = Callable[[UnitOfWork, Any, CloudEvent], Awaitable[None]]
HandlerRegistry = Mapping[type[DomainEvent], Handler]


@dataclass(frozen=True)
class ConsumerSpec:
    group_id: str
    handlers: HandlerRegistry

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics its handlers' events arrive on: a handler is all it takes to subscribe."""
        return tuple(sorted({event_class.kafka_topic() for event_class in self.handlers}))


class PoisonMessage(Exception):
    """The message can never be processed (not an envelope, or data that breaks its schema)."""


class Stopped(Exception):
    """`stopping` was set while a transient failure was being waited out: the batch in hand is
    left uncommitted (a replica, or this one's next start, applies it)."""


class FailurePolicy:
    """Runs an operation on a consumer's database until it succeeds, telling a transient
    failure from poison.

    Transient (`is_transient`, or any failure while `SELECT 1` fails too): the consumer pauses,
    is marked not ready, logs one line a second at most, and retries with a backoff capped at
    MAX_PAUSE_SECONDS for as long as it takes, or until `stopping` (then `Stopped`). Anything
    else is retried `attempts` times in all; if the database still answers after the last one,
    the error is returned for the caller to dead-letter.
    """

    def __init__(
        self,
        *,
        group_id: str,
        sessions: async_sessionmaker[AsyncSession],
        stopping: asyncio.Event,
        attempts: int,
        readiness: Readiness | None = None,
    ) -> None:
        self.group_id = group_id
        self.sessions = sessions
        self.stopping = stopping
        self.attempts = attempts
        self.readiness = readiness or Readiness()
        self.log = Throttled(logger)
        self.paused_since: float | None = None

    async def run(self, operation: Callable[[], Awaitable[None]], what: str) -> Exception | None:
        """None once `operation` succeeded; the error if it is poison."""
        failures = 0
        pause = 0.2
        while True:
            try:
                await operation()
            except Exception as exc:
                if is_transient(exc) or not await self.database_answers():
                    await self._pause(exc, what, pause)
                    pause = min(pause * 2, MAX_PAUSE_SECONDS)
                    continue
                failures += 1
                if failures >= self.attempts:
                    return exc
                logger.warning(
                    "consumer %s failed on %s (attempt %d of %d): %r",
                    self.group_id,
                    what,
                    failures,
                    self.attempts,
                    exc,
                )
                await asyncio.sleep(min(0.05 * 2**failures, 2.0))
                continue
            self._resume()
            return None

    async def database_answers(self) -> bool:
        """Whether the consumer's database answers a trivial query now."""
        try:
            async with asyncio.timeout(HEALTH_CHECK_SECONDS), self.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception:  # any failure at all means it does not answer
            return False
        return True

    async def _pause(self, exc: Exception, what: str, seconds: float) -> None:
        if self.paused_since is None:
            self.paused_since = asyncio.get_running_loop().time()
        self.readiness.down(f"consumer {self.group_id}", describe(exc))
        self.log.say(
            "pause",
            "consumer %s paused on %s, retrying in %.1f s: %s",
            self.group_id,
            what,
            seconds,
            describe(exc),
        )
        if await sleep_unless(self.stopping, seconds):
            raise Stopped from exc

    def _resume(self) -> None:
        if self.paused_since is None:
            return
        paused = asyncio.get_running_loop().time() - self.paused_since
        self.paused_since = None
        self.readiness.up(f"consumer {self.group_id}")
        logger.warning("consumer %s resumed after %.1f s paused", self.group_id, paused)


Records = Sequence[ConsumerRecord[bytes, bytes]]
# Applies (or dead-letters) every record of a batch before it returns; the loop then commits.
BatchApplier = Callable[[Records], Awaitable[None]]
Decoded = tuple[ConsumerRecord[bytes, bytes], CloudEvent, DomainEvent]


class ConsumerLoop:
    """The one consumer loop: connects, polls, hands each batch to `apply`, commits the offsets
    and reports the lag; reconnects after a broker outage; ends after the batch in hand once
    `stopping` is set, leaving the group so another replica takes its partitions at once.

    The inbox consumer, scoring's batch consumer and the webhook fan-out differ only in their
    `apply`."""

    def __init__(
        self,
        *,
        group_id: str,
        topics: Sequence[str],
        kafka: KafkaLink,
        stopping: asyncio.Event,
        apply: BatchApplier,
        max_records: int | None = None,
        poll_timeout_ms: int = 500,
        on_started: Callable[[], None] | None = None,
    ) -> None:
        self.group_id = group_id
        self.topics = tuple(topics)
        self.kafka = kafka
        self.stopping = stopping
        self.apply = apply
        self.max_records = max_records
        self.poll_timeout_ms = poll_timeout_ms
        self.on_started = on_started

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.kafka.settings.kafka_bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            # A broker that lost its log (the embedded one restarts empty) resets offsets:
            # re-reading from the start is safe because the inbox skips what was applied.
            auto_offset_reset="earliest",
            session_timeout_ms=self.kafka.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=max(self.kafka.settings.kafka_session_timeout_ms // 6, 300),
            metadata_max_age_ms=5_000,
            max_poll_records=200,
        )

    async def run(self) -> None:
        backoff = 0.2
        while not self.stopping.is_set():
            consumer = self._new_consumer()
            try:
                await self.kafka.producer()  # ensures the topics exist before subscribing
                await consumer.start()
                backoff = 0.2
                if self.on_started is not None:
                    self.on_started()
                await self._consume(consumer)
            except Stopped:
                logger.info(
                    "consumer %s stopped while paused; its batch is not committed", self.group_id
                )
                return
            except (TimeoutError, KafkaError, OSError) as exc:
                logger.warning("consumer %s lost Kafka (%r); reconnecting", self.group_id, exc)
                await self.kafka.reset()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                try:
                    await consumer.stop()
                except KafkaError:
                    logger.debug("consumer stop failed", exc_info=True)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self.stopping.is_set():
            fetched = await consumer.getmany(
                timeout_ms=self.poll_timeout_ms, max_records=self.max_records
            )
            if not fetched:
                continue
            await self.apply([record for part in fetched.values() for record in part])
            failpoint(f"{self.group_id}.before_offset_commit")
            next_offsets = {partition: part[-1].offset + 1 for partition, part in fetched.items()}
            await consumer.commit(next_offsets)
            for partition, next_offset in next_offsets.items():
                record_consumer_lag(
                    self.group_id,
                    partition.topic,
                    partition.partition,
                    next_offset=next_offset,
                    log_end=consumer.highwater(partition),
                )


class EventReader:
    """Turns records into events of the types a consumer handles; what can never be read goes
    to `<topic>.dlq` with the error attached."""

    def __init__(self, *, group_id: str, handled_types: Iterable[str], kafka: KafkaLink) -> None:
        self.group_id = group_id
        self.handled_types = frozenset(handled_types)
        self.kafka = kafka

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> tuple[CloudEvent, DomainEvent | None]:
        """The envelope and its event (None for a type this consumer does not handle)."""
        try:
            envelope = CloudEvent.model_validate_json(record.value or b"")
        except ValidationError as exc:
            raise PoisonMessage(f"not a CloudEvents envelope: {exc}") from exc
        if envelope.type not in self.handled_types:
            return envelope, None
        try:
            return envelope, parse(envelope)
        except ValidationError as exc:
            raise PoisonMessage(f"data does not match {envelope.type}: {exc}") from exc

    async def handled(self, records: Records) -> list[Decoded]:
        """The records' events this consumer handles; poison is dead-lettered on the way."""
        decoded: list[Decoded] = []
        for record in records:
            try:
                envelope, event = self.decode(record)
            except PoisonMessage as exc:
                await self.dead_letter(record, exc)
                continue
            if event is not None:
                decoded.append((record, envelope, event))
        return decoded

    async def dead_letter(self, record: ConsumerRecord[bytes, bytes], error: Exception) -> None:
        producer = await self.kafka.producer()
        headers = [
            *(record.headers or ()),
            ("huoli-error", repr(error)[:4000].encode()),
            ("huoli-consumer", self.group_id.encode()),
            ("huoli-original-partition", str(record.partition).encode()),
            ("huoli-original-offset", str(record.offset).encode()),
        ]
        await producer.send_and_wait(
            dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
        DEAD_LETTERS.labels(self.group_id, record.topic).inc()
        logger.error(
            "consumer %s sent %s[%d]@%d to the DLQ: %r",
            self.group_id,
            record.topic,
            record.partition,
            record.offset,
            error,
        )


class InboxConsumer:
    """Applies each event in a transaction of its own, together with its inbox row."""

    def __init__(
        self,
        *,
        group_id: str,
        topics: Sequence[str],
        handlers: HandlerRegistry,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        tables: MessagingTables,
        kafka: KafkaLink,
        max_attempts: int,
        stopping: asyncio.Event | None = None,
        readiness: Readiness | None = None,
    ) -> None:
        self.group_id = group_id
        self.handlers = {event_class.type: handler for event_class, handler in handlers.items()}
        self.sessions = sessions
        self.outbox = outbox
        self.inbox = tables.inbox
        self.kafka = kafka
        self.reader = EventReader(group_id=group_id, handled_types=self.handlers, kafka=kafka)
        stopping = stopping or asyncio.Event()
        self.policy = FailurePolicy(
            group_id=group_id,
            sessions=sessions,
            stopping=stopping,
            attempts=max_attempts,
            readiness=readiness,
        )
        self.loop = ConsumerLoop(
            group_id=group_id,
            topics=topics,
            kafka=kafka,
            stopping=stopping,
            apply=self.process_all,
        )

    async def run(self) -> None:
        await self.loop.run()

    async def process_all(self, records: Records) -> None:
        for record in records:
            await self.process(record)

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            envelope, event = self.reader.decode(record)
        except PoisonMessage as exc:
            await self.reader.dead_letter(record, exc)
            return
        if event is None:
            return  # a type this consumer does not handle
        # The handler runs in the trace of the event's cause: its logs name that trace, and the
        # events it writes carry it on.
        with traced(
            f"{envelope.type} process",
            _traceparent(record, envelope),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": self.group_id,
                "messaging.destination.name": record.topic,
                "messaging.message.id": envelope.id,
            },
        ):
            await self._apply_with_retries(record, envelope, event)

    async def _apply_with_retries(
        self, record: ConsumerRecord[bytes, bytes], envelope: CloudEvent, event: DomainEvent
    ) -> None:
        poison = await self.policy.run(
            lambda: self._apply(envelope, event), f"{envelope.type} {envelope.id}"
        )
        if poison is not None:
            await self.reader.dead_letter(record, poison)

    async def _apply(self, envelope: CloudEvent, event: DomainEvent) -> None:
        handler = self.handlers[envelope.type]
        async with UnitOfWork(self.sessions, self.outbox) as uow:
            first_time = await insert_if_absent(
                uow.session,
                self.inbox,
                {
                    "consumer": self.group_id,
                    "event_id": envelope.id,
                    "event_type": envelope.type,
                    "processed_at": utc_now(),
                },
            )
            if not first_time:
                return
            await handler(uow, event, envelope)
        failpoint(f"{self.group_id}.after_db_commit")


def _traceparent(record: ConsumerRecord[bytes, bytes], envelope: CloudEvent) -> str | None:
    """The trace context of the message: its W3C header, else the envelope's extension (a
    message written by hand, or by a producer that sets only one of them)."""
    for key, value in record.headers or ():
        if key == TRACEPARENT_HEADER:
            return valid_traceparent(value.decode("latin-1")) or valid_traceparent(
                envelope.traceparent
            )
    return valid_traceparent(envelope.traceparent)


__all__ = [
    "BatchApplier",
    "ConsumerLoop",
    "Decoded",
    "EventReader",
    "FailurePolicy",
    "HandlerRegistry",
    "InboxConsumer",
    "Stopped",
    "TopicPartition",
]
