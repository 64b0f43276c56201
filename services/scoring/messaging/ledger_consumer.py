"""The ledger consumer (`scoring.ledger`): batches from `getmany`, one transaction per batch.

The shared `InboxConsumer` applies one event per transaction, which caps a consumer at a few
hundred events a second. This one, built on it (connection, decoding, dead-lettering are its),
takes everything `getmany` returned, records the new event ids in the inbox with one multi-row
insert, posts all their activities with set-based upserts, commits once, and only then commits
the offsets. A crash between the two commits redelivers the batch; the inbox (and the ledger's
unique activity ids under it) make the second pass change nothing.

A batch that fails is retried; if it keeps failing, its events are applied one per
transaction so that only the one that cannot be applied goes to the dead-letter topic.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue import DomainEvent
from services.common.events.consumer import InboxConsumer, PoisonMessage
from services.common.events.envelope import CloudEvent, utc_now
from services.common.failpoints import failpoint
from services.common.metrics import record_consumer_lag
from services.common.runtime import ServiceRuntime
from services.common.service import ConsumerSpec
from services.common.unit_of_work import UnitOfWork
from services.scoring.storage import batches
from services.scoring.storage.tables import messaging

logger = logging.getLogger(__name__)

# A batch holds the SQLite write lock while it applies: big enough to amortise the
# statements, small enough that requests queued behind it wait well under a second.
MAX_BATCH_RECORDS = 1000
BATCH_ATTEMPTS = 3

Decoded = tuple[ConsumerRecord[bytes, bytes], CloudEvent, DomainEvent]


class BatchInboxConsumer(InboxConsumer):
    """An inbox consumer whose spec has one batch handler instead of per-event ones."""

    def __init__(self, *, spec: ConsumerSpec, batch_handler: Any, **kwargs: Any) -> None:
        super().__init__(
            group_id=spec.group_id, topics=spec.topics, handlers=spec.handlers, **kwargs
        )
        self.batch_handler = batch_handler

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self.stopping.is_set():
            fetched = await consumer.getmany(timeout_ms=200, max_records=MAX_BATCH_RECORDS)
            if not fetched:
                continue
            records = [record for part in fetched.values() for record in part]
            await self.process_batch(records)
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

    async def process_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        decoded: list[Decoded] = []
        for record in records:
            try:
                envelope, event = self._decode(record)
            except PoisonMessage as exc:
                await self._dead_letter(record, exc)
                continue
            if event is not None:
                decoded.append((record, envelope, event))
        if not decoded:
            return
        for attempt in range(BATCH_ATTEMPTS):
            try:
                await self._apply_batch(decoded)
                return
            except Exception as exc:
                logger.warning(
                    "consumer %s failed on a batch of %d (attempt %d): %r",
                    self.group_id,
                    len(decoded),
                    attempt + 1,
                    exc,
                )
                await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
        # One by one: only what cannot be applied reaches the dead-letter topic.
        for record, envelope, event in decoded:
            try:
                await self._apply_batch([(record, envelope, event)])
            except Exception as exc:
                await self._dead_letter(record, exc)

    async def _apply_batch(self, decoded: Sequence[Decoded]) -> None:
        async with self.sessions() as session:
            fresh = await self._claim(session, decoded)
            if fresh:
                uow = UnitOfWork(session=session, outbox=self.outbox)
                await self.batch_handler(uow, [(envelope, event) for _, envelope, event in fresh])
            await session.commit()
        failpoint(f"{self.group_id}.after_db_commit")

    async def _claim(self, session: AsyncSession, decoded: Sequence[Decoded]) -> list[Decoded]:
        """Record the batch's new event ids in the inbox; the events not seen before."""
        inbox = self.inbox
        ids = list(dict.fromkeys(envelope.id for _, envelope, _ in decoded))
        seen: set[str] = set()
        for part in batches.chunks(ids):
            query = select(inbox.c.event_id).where(
                inbox.c.consumer == self.group_id, inbox.c.event_id.in_(list(part))
            )
            seen.update((await session.execute(query)).scalars())
        fresh: list[Decoded] = []
        now = utc_now()
        rows = []
        for item in decoded:
            envelope = item[1]
            if envelope.id in seen:
                continue
            seen.add(envelope.id)
            fresh.append(item)
            rows.append(
                {
                    "consumer": self.group_id,
                    "event_id": envelope.id,
                    "event_type": envelope.type,
                    "processed_at": now,
                }
            )
        # Conflicts are impossible while this consumer owns the partitions; should a rebalance
        # let two apply one batch, the second's insert fails and its transaction rolls back.
        await batches.insert_rows(session, inbox, rows)
        return fresh


def batch_consumer_worker(spec: ConsumerSpec, batch_handler: Any) -> Any:
    """A `WorkerSpec.run` running the batch consumer on the service's runtime."""

    async def run(runtime: ServiceRuntime) -> None:
        if not runtime.settings.run_consumers:
            await runtime.stopping.wait()
            return
        consumer = BatchInboxConsumer(
            spec=spec,
            batch_handler=batch_handler,
            sessions=runtime.sessions,
            outbox=runtime.outbox,
            tables=messaging,
            kafka=runtime.kafka,
            max_attempts=runtime.settings.consumer_max_attempts,
            stopping=runtime.stopping,
        )
        await consumer.run()

    return run


__all__ = ["BatchInboxConsumer", "TopicPartition", "batch_consumer_worker"]
