"""The ledger consumer (`scoring.ledger`): batches from `getmany`, one transaction per batch.

The shared `InboxConsumer` applies one event per transaction, which caps a consumer at a few
hundred events a second. This one runs on the same `ConsumerLoop` (connection, polling, offsets,
lag) and `EventReader` (decoding, dead-lettering). It takes everything `getmany` returned,
records the new event ids in the inbox with one multi-row insert, posts all their activities
with set-based upserts, commits once, and only then commits the offsets. A crash between the two
commits redelivers the batch; the inbox (for the events the handler's own keys do not make
idempotent: the ledger's unique activity ids do for activities) makes the second pass change
nothing.

A batch that fails on a transient fault (the database out of reach, a deadlock) is retried for
as long as it takes, its offsets uncommitted, the consumer paused and not ready (`FailurePolicy`).
A batch that fails otherwise is retried a few times; if it keeps failing while the database
answers, its events are applied one per transaction so that only the one that cannot be applied
goes to the dead-letter topic.
"""

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.events.catalogue import DomainEvent
from services.common.events.consumer import (
    ConsumerLoop,
    ConsumerSpec,
    Decoded,
    EventReader,
    FailurePolicy,
)
from services.common.events.envelope import CloudEvent, utc_now
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox
from services.common.events.tables import MessagingTables
from services.common.failpoints import failpoint
from services.common.faults import Readiness
from services.common.unit_of_work import UnitOfWork
from services.scoring.ledger import repository as batches

logger = logging.getLogger(__name__)

# A batch holds the SQLite write lock while it applies: big enough to amortise the
# statements, small enough that requests queued behind it wait well under a second (a batch
# of 1,000 takes 0.2 to 0.3 s here). PostgreSQL locks only the touched members' score rows, so
# a batch there can be twice the size (~20 % more events a second).
MAX_BATCH_RECORDS = 1000
MAX_BATCH_RECORDS_POSTGRESQL = 2000
BATCH_ATTEMPTS = 3
SQLITE_CACHE_KIB = 64 * 1024
# Checkpoints run beside the batches (`_checkpoints`): copying the WAL's pages back into the
# database took about a third of a batch's commit when the commit that crossed SQLite's
# threshold did it. The batches' own connection checkpoints only if those fall far behind
# (256 MB of WAL at 4 KiB pages), which bounds the WAL.
SQLITE_CHECKPOINT_PAGES = 64_000
CHECKPOINT_SECONDS = 0.5

# A batch allocates some 100 objects per event (envelopes, rows, parameters), nearly all freed
# by reference counting. At CPython's default thresholds (700, 10, 10) that still sets off
# ~55 young collections per 1,000 events and, as the batch's live objects are promoted, full
# collections that walk every object the process holds (modules, pydantic schemas, the
# metadata): measured at about a quarter of the consumer's CPU time. Freezing what exists when
# the consumer starts takes those out of every later collection, and a larger first threshold
# collects young objects far less often. The young count is allocations minus deallocations,
# and a batch of 1,000 holds some 20,000 objects at its peak (the fold, its rows and their
# parameters), all freed when it ends: at a threshold of 20,000 that still set off a young
# collection in nearly every batch, walking objects about to be freed anyway (~4 µs an
# event). At 100,000 (above a PostgreSQL batch of 2,000 too) a batch's own objects never set
# one off. Cycles are still collected: what refcounting leaves behind adds up to a collection.
GC_THRESHOLDS = (100_000, 20, 20)
_gc_tuned = False


def tune_gc_for_batches() -> None:
    """Once per process: freeze the objects alive at start-up and raise the young threshold."""
    global _gc_tuned  # noqa: PLW0603 - a process-wide setting, applied once
    if _gc_tuned:
        return
    _gc_tuned = True
    gc.collect()  # what is garbage now is collected, not frozen for the process's lifetime
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# What the consumer calls with each batch of new events, in the batch's transaction: the unit of
# work commits once the handler returns.
BatchHandler = Callable[[UnitOfWork, Sequence[tuple[CloudEvent, DomainEvent]]], Awaitable[None]]


class BatchInboxConsumer:
    """The `scoring.ledger` consumer: the one consumer loop, applying each batch it polls with
    the batch handler in one transaction."""

    def __init__(
        self,
        *,
        spec: ConsumerSpec,
        batch_handler: BatchHandler,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        tables: MessagingTables,
        kafka: KafkaLink,
        stopping: asyncio.Event | None = None,
        on_started: Callable[[], None] | None = None,
        keyed_types: frozenset[str] = frozenset(),
        readiness: Readiness | None = None,
    ) -> None:
        self.group_id = spec.group_id
        # Event types the batch handler applies idempotently by its own keys: no inbox row.
        self.keyed_types = keyed_types
        self.batch_handler = batch_handler
        self.sessions = sessions
        self.outbox = outbox
        self.inbox = tables.inbox
        self.reader = EventReader(
            group_id=spec.group_id,
            handled_types=(event_class.type for event_class in spec.handlers),
            kafka=kafka,
        )

        self.stopping = stopping = stopping or asyncio.Event()
        self.policy = FailurePolicy(
            group_id=spec.group_id,
            sessions=sessions,
            stopping=stopping,
            attempts=BATCH_ATTEMPTS,
            readiness=readiness,
        )

        def started() -> None:
            tune_gc_for_batches()
            if on_started is not None:
                on_started()

        self.loop = ConsumerLoop(
            group_id=spec.group_id,
            topics=spec.topics,
            kafka=kafka,
            stopping=self.stopping,
            apply=self.process_batch,
            max_records=self.batch_records(),
            poll_timeout_ms=200,
            on_started=started,
        )

    def batch_records(self) -> int:
        """The most records one batch takes, by what a batch locks on this database."""
        if self.dialect_name() == "postgresql":
            return MAX_BATCH_RECORDS_POSTGRESQL
        return MAX_BATCH_RECORDS

    def dialect_name(self) -> str | None:
        bind = self.sessions.kw.get("bind")
        name: str | None = getattr(getattr(bind, "dialect", None), "name", None)
        return name

    async def run(self) -> None:
        bind = self.sessions.kw.get("bind")
        database = getattr(getattr(bind, "url", None), "database", None)
        if self.dialect_name() != "sqlite" or not database or database == ":memory:":
            await self.loop.run()
            return
        checkpoints = asyncio.create_task(self._checkpoints(database))
        try:
            await self.loop.run()
        finally:
            checkpoints.cancel()
            await asyncio.gather(checkpoints, return_exceptions=True)

    async def _checkpoints(self, database: str) -> None:
        """SQLite: copy the WAL back into the database from a connection of its own, in a
        thread, off the batches' commit path (a passive checkpoint never blocks the writer;
        the engine's one writing connection would have queued it behind the batches)."""
        while not self.stopping.is_set():
            try:
                await asyncio.wait_for(self.stopping.wait(), CHECKPOINT_SECONDS)
                return
            except TimeoutError:
                pass
            try:
                await asyncio.to_thread(batches.checkpoint_sqlite, database)
            except Exception as exc:
                # Not fatal: the batches' own checkpoint threshold still bounds the WAL.
                logger.warning("consumer %s: checkpoint failed: %r", self.group_id, exc)

    async def process_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        decoded = await self.reader.handled(records)
        if not decoded:
            return
        if (
            await self.policy.run(lambda: self._apply_batch(decoded), f"a batch of {len(decoded)}")
            is None
        ):
            return
        # One by one: only what cannot be applied reaches the dead-letter topic (and a
        # transient fault meanwhile pauses the consumer again).
        for item in decoded:
            record, envelope, _ = item
            poison = await self.policy.run(
                lambda item=item: self._apply_batch([item]),  # type: ignore[misc]
                f"{envelope.type} {envelope.id}",
            )
            if poison is not None:
                await self.reader.dead_letter(record, poison)

    async def _apply_batch(self, decoded: Sequence[Decoded]) -> None:
        async with UnitOfWork(self.sessions, self.outbox) as uow:
            connection = await uow.session.connection()
            if connection.dialect.name == "sqlite":
                # A batch touches thousands of index pages (ledger, boards, scores); SQLite's
                # default 2 MB page cache re-reads them from the OS every batch, and its
                # default checkpoint (every 1,000 WAL pages) copies the same hot pages back
                # into the database after nearly every batch (`_checkpoints` does that
                # beside the batches). Per connection, so set on
                # whichever one this batch got (a no-op when already set).
                await connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
                await connection.exec_driver_sql(
                    f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}"
                )
            fresh = await self._claim(uow.session, decoded)
            if fresh:
                await self.batch_handler(uow, [(envelope, event) for _, envelope, event in fresh])
        failpoint(f"{self.group_id}.after_db_commit")

    async def _claim(self, session: AsyncSession, decoded: Sequence[Decoded]) -> list[Decoded]:
        """Record the batch's new event ids in the inbox; the events not seen before. Events of
        the `keyed_types` skip the inbox (each is taken once a batch; a redelivered one is
        passed on and the handler's keys make it change nothing)."""
        inbox = self.inbox
        keyed = self.keyed_types
        keys = [
            (self.group_id, envelope.id) for _, envelope, _ in decoded if envelope.type not in keyed
        ]
        seen: set[str] = set()
        if keys:
            rows_seen = await batches.select_keyed(
                session, inbox, ("consumer", "event_id"), keys, columns=("event_id",)
            )
            seen = {row[0] for row in rows_seen}
        fresh: list[Decoded] = []
        now = utc_now()
        rows = []
        for item in decoded:
            envelope = item[1]
            if envelope.id in seen:
                continue
            seen.add(envelope.id)
            fresh.append(item)
            if envelope.type in keyed:
                continue
            rows.append(
                {
                    "consumer": self.group_id,
                    "event_id": envelope.id,
                    "event_type": envelope.type,
                    "processed_at": now,
                }
            )
        # Conflicts are impossible while this consumer owns the partitions; should a rebalance
        # let two apply one batch, the second's insert (here, or the ledger's for keyed
        # events) fails and its transaction rolls back.
        await batches.insert_rows(session, inbox, rows)
        return fresh


__all__ = ["BatchHandler", "BatchInboxConsumer"]
