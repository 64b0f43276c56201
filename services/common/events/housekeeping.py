"""Pruning of the outbox and inbox tables, which would otherwise grow with every event forever.

A published outbox row is kept while the relay may still need to publish it again (its replay
window); an inbox row is kept while Kafka may still redeliver its event (the log's retention, or a
consumer reset to the earliest offset), and the retention settings say how long that is.
"""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import and_, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.events.envelope import utc_now
from services.common.events.tables import MessagingTables
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.common.settings import ServiceSettings

logger = logging.getLogger(__name__)

# Small batches keep each delete a short transaction: SQLite has one writer, and the API waits.
PRUNE_BATCH = 2000


async def prune_messaging_tables(
    sessions: async_sessionmaker[AsyncSession], tables: MessagingTables, settings: ServiceSettings
) -> int:
    """Delete outbox and inbox rows past their retention; returns how many were deleted."""
    now = utc_now()
    outbox, inbox = tables.outbox, tables.inbox
    published_before = now - timedelta(seconds=settings.outbox_retention_seconds)
    processed_before = now - timedelta(seconds=settings.inbox_retention_seconds)
    expired = (
        (
            (outbox.c.seq,),
            and_(outbox.c.published_at.is_not(None), outbox.c.published_at < published_before),
        ),
        ((inbox.c.consumer, inbox.c.event_id), inbox.c.processed_at < processed_before),
    )
    deleted = 0
    for key, condition in expired:
        table = key[0].table
        while True:
            async with sessions() as session:
                query = select(*key).where(condition).limit(PRUNE_BATCH)
                rows = (await session.execute(query)).all()
                if rows:
                    await session.execute(delete(table).where(tuple_(*key).in_(rows)))
                    await session.commit()
            deleted += len(rows)
            if len(rows) < PRUNE_BATCH:
                break
    return deleted


def housekeeping_workers(tables: MessagingTables, settings: ServiceSettings) -> list[WorkerSpec]:
    async def prune_forever(runtime: ServiceRuntime) -> None:
        while True:
            deleted = await prune_messaging_tables(runtime.sessions, tables, settings)
            if deleted:
                logger.info("pruned %d outbox and inbox rows past their retention", deleted)
            await asyncio.sleep(settings.prune_interval_seconds)

    return [WorkerSpec(name="outbox/inbox pruning", run=prune_forever)]
