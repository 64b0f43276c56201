"""Transactional outbox: events are rows written with the state change, and a relay publishes them.

A broker outage delays events and loses none: a row is marked published only after the broker
acknowledged it (acks=all). A crash between the ack and the mark publishes the row again on the
next pass; consumers' inboxes absorb that duplicate.
"""

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from aiokafka.errors import KafkaError
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.events.catalogue import DomainEvent
from services.common.events.envelope import CloudEvent, utc_now
from services.common.events.kafka import KafkaLink
from services.common.events.tables import MessagingTables

logger = logging.getLogger(__name__)

RELAY_BATCH = 500


class Outbox:
    """Writes events into the caller's transaction and wakes the relay once it commits."""

    def __init__(self, tables: MessagingTables, *, source: str) -> None:
        self.table = tables.outbox
        self.source = f"huoli/{source}"
        self.committed = asyncio.Event()

    async def add(
        self,
        session: AsyncSession,
        event: DomainEvent,
        *,
        community_id: str | None,
        subject: str | None = None,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> CloudEvent:
        envelope_fields: dict[str, Any] = {
            "source": self.source,
            "type": event.type,
            "subject": subject,
            "communityid": community_id,
            "data": event.model_dump(mode="json"),
        }
        if event_id is not None:
            envelope_fields["id"] = event_id
        if time is not None:
            envelope_fields["time"] = time
        envelope = CloudEvent(**envelope_fields)
        await session.execute(
            insert(self.table).values(
                event_id=envelope.id,
                topic=event.kafka_topic(),
                # One community's events share a key, so they stay in order on one partition.
                message_key=community_id or subject,
                payload=envelope.model_dump_json(),
                created_at=utc_now(),
            )
        )
        self._wake_relay_after_commit(session)
        return envelope

    def _wake_relay_after_commit(self, session: AsyncSession) -> None:
        sync_session = session.sync_session
        if not sync_session.info.get("wakes_outbox_relay"):
            sync_session.info["wakes_outbox_relay"] = True
            sa_event.listen(sync_session, "after_commit", lambda _s: self.committed.set())


class OutboxRelay:
    """Publishes pending outbox rows in order; backs off and reconnects while the broker is away."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        sessions: async_sessionmaker[AsyncSession],
        kafka: KafkaLink,
        poll_seconds: float,
    ) -> None:
        self.outbox = outbox
        self.sessions = sessions
        self.kafka = kafka
        self.poll_seconds = poll_seconds

    async def run(self) -> None:
        backoff = 0.2
        broker_down = False
        while True:
            try:
                published = await self.publish_pending()
            except (TimeoutError, KafkaError, OSError) as exc:
                if not broker_down:
                    logger.warning("outbox relay cannot reach Kafka (%r); retrying", exc)
                broker_down = True
                await self.kafka.reset()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if broker_down:
                logger.info("outbox relay reconnected to Kafka")
            broker_down, backoff = False, 0.2
            if published == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.outbox.committed.wait(), self.poll_seconds)
                self.outbox.committed.clear()

    async def publish_pending(self) -> int:
        """Publish every pending row; returns how many were published."""
        table = self.outbox.table
        total = 0
        while True:
            async with self.sessions() as session:
                rows = (
                    await session.execute(
                        select(table.c.seq, table.c.topic, table.c.message_key, table.c.payload)
                        .where(table.c.published_at.is_(None))
                        .order_by(table.c.seq)
                        .limit(RELAY_BATCH)
                    )
                ).all()
            if not rows:
                return total
            producer = await self.kafka.producer()
            acks = [
                await producer.send(
                    row.topic,
                    value=row.payload.encode(),
                    key=row.message_key.encode() if row.message_key else None,
                )
                for row in rows
            ]
            await asyncio.gather(*acks)
            async with self.sessions() as session:
                await session.execute(
                    update(table)
                    .where(table.c.seq.in_([row.seq for row in rows]))
                    .values(published_at=utc_now())
                )
                await session.commit()
            total += len(rows)
