"""Transactional outbox: events are rows written with the state change, and a relay publishes them.

A broker outage delays events and loses none: a row is marked published only after the broker
acknowledged it (acks=all). A crash between the ack and the mark publishes the row again on the
next pass; consumers' inboxes absorb that duplicate.
"""

import asyncio
import contextlib
import itertools
import logging
import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import pydantic_core
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.db import on_commit
from services.common.events.catalogue import DomainEvent
from services.common.events.envelope import CloudEvent, utc_now
from services.common.events.kafka import KafkaLink
from services.common.events.tables import MessagingTables
from services.common.faults import Throttled, describe, is_database_fault, is_transient
from services.common.settings import ServiceSettings
from services.common.tracing import TRACEPARENT_HEADER, current_traceparent, valid_traceparent

logger = logging.getLogger(__name__)

RELAY_BATCH = 500
# After a commit wakes the idle relay, it waits this long for more before it reads: a pass costs
# a read, a produce and a write transaction whatever its size, so under a steady trickle of
# writes one pass per few writes instead of one per write halves what a write costs in CPU
# (and, on SQLite, how often the relay takes the write lock a request is waiting for).
RELAY_LINGER_SECONDS = 0.02


class Outbox:
    """Writes events into the caller's transaction and wakes the relay once it commits."""

    def __init__(self, tables: MessagingTables, *, source: str) -> None:
        self.table = tables.outbox
        self.source = f"huoli/{source}"
        self.committed = asyncio.Event()

    def _envelope(self, event: DomainEvent, **overrides: Any) -> CloudEvent:
        return CloudEvent(
            source=self.source,
            type=event.type,
            subject=event.subject(),
            communityid=event.community(),
            data=event.model_dump(mode="json"),
            traceparent=current_traceparent(),
            **overrides,
        )

    async def add(
        self,
        session: AsyncSession,
        event: DomainEvent,
        *,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> CloudEvent:
        """Write `event` into the session's transaction; the event names its own community
        (the Kafka key) and subject. `event_id` and `time` override the envelope's defaults."""
        overrides = {
            name: value for name, value in (("id", event_id), ("time", time)) if value is not None
        }
        envelope = self._envelope(event, **overrides)
        await session.execute(insert(self.table).values(**self._row(event, envelope)))
        on_commit(session, self.committed.set)
        return envelope

    async def add_many(self, session: AsyncSession, events: Sequence[DomainEvent]) -> None:
        """`add` for many events, in one INSERT: a batch job (a publisher releasing hundreds of
        items, a tier-policy run moving thousands of members) pays one round trip, not one per
        event."""
        if not events:
            return
        await session.execute(insert(self.table), self.rows((event, None) for event in events))
        on_commit(session, self.committed.set)

    def rows(
        self,
        events: Iterable[tuple[DomainEvent, str | None]],
        *,
        time_of: Callable[[Any], datetime] | None = None,
    ) -> list[dict[str, Any]]:
        """The outbox rows of many events (each with its id, or None for a fresh one), exactly
        as `add` writes one; the caller inserts them (and then calls `on_commit`, as `add_many`
        does). `time_of` gives an event's envelope time (by default, now).

        The envelope is serialized directly rather than validated as a `CloudEvent` first: the
        events are our own validated models, and for a batch of thousands the validation, the
        `data` dict and a uuid4 each (os.urandom releases the GIL; with the database driver's
        thread busy, each one waits to get it back) cost more than the rest of the write.
        """
        ids = _fresh_event_ids()
        traceparent, now = current_traceparent(), utc_now()
        created: list[dict[str, Any]] = []
        for event, given_id in events:
            event_id = given_id or next(ids)
            created.append(
                {
                    "event_id": event_id,
                    "topic": event.kafka_topic(),
                    # One community's events share a key, so they stay in order on one partition.
                    "message_key": event.community(),
                    "payload": envelope_json(
                        event,
                        event_id=event_id,
                        source=self.source,
                        time=time_of(event) if time_of is not None else now,
                        traceparent=traceparent,
                    ),
                    "created_at": now,
                }
            )
        return created

    @staticmethod
    def _row(event: DomainEvent, envelope: CloudEvent) -> dict[str, Any]:
        return {
            "event_id": envelope.id,
            "topic": event.kafka_topic(),
            # One community's events share a key, so they stay in order on one partition.
            "message_key": event.community(),
            "payload": envelope.model_dump_json(),
            "created_at": utc_now(),
        }


def envelope_json(
    event: DomainEvent, *, event_id: str, source: str, time: datetime, traceparent: str | None
) -> str:
    """The JSON of `event`'s envelope, byte for byte what `CloudEvent(...).model_dump_json()`
    writes (same fields, same order: `traceparent` before `data`, see `_trace_headers`), without
    building the model: `data` is the event's own serialization, spliced in last."""
    head = pydantic_core.to_json(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "type": event.type,
            "time": time,
            "subject": event.subject(),
            "datacontenttype": "application/json",
            "communityid": event.community(),
            "traceparent": traceparent,
        }
    )
    data = event.__pydantic_serializer__.to_json(event)
    return (head[:-1] + b',"data":' + data + b"}").decode()


_ID_MASK = (1 << 128) - 1


def _fresh_event_ids() -> Iterator[str]:
    """Distinct event ids shaped like `uuid4().hex` (32 hex digits): one random 128-bit start
    per call, counting up. Unique as long as no two calls' starts land within a batch's length
    of each other (odds of ~2⁻¹¹⁰), and one os.urandom per batch instead of one per event."""
    start = int.from_bytes(os.urandom(16), "big")
    return (f"{value & _ID_MASK:032x}" for value in itertools.count(start))


_TRACEPARENT_KEY = '"traceparent":'
_TRACEPARENT_LENGTH = 55


def _trace_headers(payload: str) -> list[tuple[str, bytes]] | None:
    """The Kafka headers that carry the envelope's trace context, for consumers (and tools)
    that read the W3C header rather than the envelope.

    Found by position rather than by parsing the JSON, which the relay would otherwise do for
    every row: the envelope is our own compact serialization, which always writes `traceparent`
    (null when there is none) before `data`, and a quote inside any string value is escaped, so
    the first such key is the envelope's. The value is checked all the same.
    """
    start = payload.find(_TRACEPARENT_KEY)
    if start < 0:
        return None
    start += len(_TRACEPARENT_KEY) + 1  # past the opening quote (or the "n" of null)
    traceparent = valid_traceparent(payload[start : start + _TRACEPARENT_LENGTH])
    return [(TRACEPARENT_HEADER, traceparent.encode())] if traceparent else None


class RelayRuntime(Protocol):
    """What a relay needs of a process's runtime (a service's or the gateway's)."""

    @property
    def outbox(self) -> Outbox: ...
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def read_sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def kafka(self) -> KafkaLink: ...


class OutboxRelay:
    """Publishes pending outbox rows in order; backs off and reconnects while the broker is away.

    It also notices a broker that lost acknowledged messages (the embedded broker keeps its log
    in memory, so a restart empties it; on Apache Kafka an unclean leader election can do the
    same): an acknowledged offset at or below one seen before, or a log end below it. Then it
    publishes again what it published within `replay_window_seconds`; inboxes drop what their
    consumers had already applied.
    """

    def __init__(
        self,
        *,
        outbox: Outbox,
        sessions: async_sessionmaker[AsyncSession],
        read_sessions: async_sessionmaker[AsyncSession] | None = None,
        kafka: KafkaLink,
        poll_seconds: float,
        replay_window_seconds: float,
        log_check_seconds: float = 5.0,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.outbox = outbox
        self.sessions = sessions
        # Pending rows are read without a transaction (on SQLite, without taking the write lock
        # a request is about to need); only marking them published writes.
        self.read_sessions = read_sessions or sessions
        self.kafka = kafka
        self.poll_seconds = poll_seconds
        self.replay_window_seconds = replay_window_seconds
        self.log_check_seconds = log_check_seconds
        # Per partition, the lowest offset of the latest acknowledged batch: every later ack
        # must be above it, and so must the log end (Tansu reports a log end of the last
        # batch's first offset + 1, not the last offset + 1).
        self._batch_start: dict[TopicPartition, int] = {}
        self._next_log_check = time.monotonic()
        # Set at shutdown, once the server has answered its last request: one more pass
        # publishes what those requests wrote, then the relay ends.
        self.stopping = stopping or asyncio.Event()
        # One advisory lock per service's outbox (PostgreSQL's keys are 64-bit integers).
        self._lock_key = zlib.crc32(f"{outbox.source}/outbox".encode())

    @classmethod
    def of(
        cls,
        runtime: "RelayRuntime",
        settings: ServiceSettings,
        stopping: asyncio.Event | None = None,
    ) -> "OutboxRelay":
        """The relay of a process's outbox, configured by its settings."""
        return cls(
            outbox=runtime.outbox,
            sessions=runtime.sessions,
            read_sessions=runtime.read_sessions,
            kafka=runtime.kafka,
            poll_seconds=settings.outbox_poll_seconds,
            replay_window_seconds=settings.outbox_replay_window_seconds,
            stopping=stopping,
        )

    async def run(self) -> None:
        backoff = 0.2
        broker_down = False
        database_log = Throttled(logger)
        while True:
            last_pass = self.stopping.is_set()
            # Cleared before the pending rows are read: a commit after this point is either in
            # what is read next or sets the event again, so no wake-up is lost.
            self.outbox.committed.clear()
            try:
                published, more = await self.publish_pending()
                if last_pass and not more:
                    return
                if published == 0 and time.monotonic() >= self._next_log_check:
                    self._next_log_check = time.monotonic() + self.log_check_seconds
                    if await self._broker_lost_log():
                        await self._replay_recent()
                        continue
            except Exception as exc:
                if not is_transient(exc) and not isinstance(exc, KafkaError):
                    raise
                if is_database_fault(exc):
                    # The database is away (the broker may well be fine): the rows wait in it.
                    if last_pass:
                        logger.warning(
                            "outbox relay stopping without its database (%s)", describe(exc)
                        )
                        return
                    database_log.say(
                        "database",
                        "outbox relay cannot reach its database (%s); retrying",
                        describe(exc),
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if last_pass:
                    # The rows stay pending: another replica, or this one's next start,
                    # publishes them.
                    logger.warning("outbox relay stopping without Kafka (%r)", exc)
                    return
                if not broker_down:
                    logger.warning("outbox relay cannot reach Kafka (%r); retrying", exc)
                broker_down = True
                self._next_log_check = time.monotonic()  # check the log once we are back
                await self.kafka.reset()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if broker_down:
                logger.info("outbox relay reconnected to Kafka")
            broker_down, backoff = False, 0.2
            if not more and not self.stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.outbox.committed.wait(), self.poll_seconds)
                    await asyncio.sleep(RELAY_LINGER_SECONDS)

    async def publish_pending(self) -> tuple[int, bool]:
        """Publish pending rows; returns how many, and whether more may be pending already.

        A batch shorter than RELAY_BATCH was all there was when it was read; rather than read
        again at once (a query per wake-up that almost always finds nothing), the caller
        waits for the next commit, which has already signalled if it happened meanwhile.
        """
        total = 0
        while True:
            published, went_back = await self._publish_batch()
            total += published
            if went_back:
                await self._replay_recent()
                return total, True
            if published < RELAY_BATCH:
                return total, False

    async def _publish_batch(self) -> tuple[int, bool]:
        """Send one batch of pending rows and mark them published; returns how many, and
        whether the broker's offsets went back (it lost acknowledged messages)."""
        async with self.sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Replicas of a service share its outbox. The relay holding this lock (until its
                # transaction ends) is the only one reading and sending, so a row goes out once
                # and in seq order; another replica's relay waits here, then finds it published.
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": self._lock_key}
                )
                rows = await self._pending(session)
            else:
                # SQLite: reading in the write session would hold the database's write lock
                # through the send. Replicas on one SQLite file may both send a row; the
                # consumers' inboxes drop the copy.
                async with self.read_sessions() as reading:
                    rows = await self._pending(reading)
            if not rows:
                return 0, False
            producer = await self.kafka.producer()
            pending_acks = [
                await producer.send(
                    row.topic,
                    value=row.payload.encode(),
                    key=row.message_key.encode() if row.message_key else None,
                    headers=_trace_headers(row.payload),
                )
                for row in rows
            ]
            acks = await asyncio.gather(*pending_acks)
            table = self.outbox.table
            await session.execute(
                update(table)
                .where(table.c.seq.in_([row.seq for row in rows]))
                .values(published_at=utc_now())
            )
            await session.commit()
        return len(rows), self._offsets_went_back(acks)

    async def _pending(self, session: AsyncSession) -> Sequence[Any]:
        table = self.outbox.table
        query = (
            select(table.c.seq, table.c.topic, table.c.message_key, table.c.payload)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.seq)
            .limit(RELAY_BATCH)
        )
        return (await session.execute(query)).all()

    def _offsets_went_back(self, acks: list[RecordMetadata]) -> bool:
        batch_start: dict[TopicPartition, int] = {}
        for ack in acks:
            partition = TopicPartition(ack.topic, ack.partition)
            batch_start[partition] = min(ack.offset, batch_start.get(partition, ack.offset))
        went_back = any(
            partition in self._batch_start and start <= self._batch_start[partition]
            for partition, start in batch_start.items()
        )
        self._batch_start.update(batch_start)
        return went_back

    async def _broker_lost_log(self) -> bool:
        if not self._batch_start:
            return False
        ends = await self.kafka.end_offsets(list(self._batch_start))
        return any(ends[partition] <= start for partition, start in self._batch_start.items())

    async def _replay_recent(self) -> None:
        table = self.outbox.table
        since = utc_now() - timedelta(seconds=self.replay_window_seconds)
        async with self.sessions() as session:
            result = await session.execute(
                update(table).where(table.c.published_at >= since).values(published_at=None)
            )
            await session.commit()
        self._batch_start.clear()
        logger.warning(
            "Kafka lost acknowledged messages; publishing again the %s events of the last %.0f s",
            getattr(result, "rowcount", "?"),
            self.replay_window_seconds,
        )
