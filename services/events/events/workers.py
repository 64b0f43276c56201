"""The events service's clock: completes events at their end time and passes on offered seats
whose claim window ran out (registrations.workers). Every replica runs it; each change is
conditional on the state it changes from, in its own transaction, so it happens once however
many replicas race for it."""

import asyncio
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.events.envelope import utc_now
from services.common.events.outbox import Outbox
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.common.unit_of_work import UnitOfWork
from services.events.events import repository
from services.events.events.service import complete_event
from services.events.registrations.workers import expire_due_offers

logger = logging.getLogger(__name__)

BATCH = 100


async def run_due_jobs(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    read_sessions: async_sessionmaker[AsyncSession] | None = None,
) -> int:
    """One pass: complete the events that ended and expire the offers that ran out; returns
    how many changes this replica made. The scans run on `read_sessions` when given (on SQLite
    a write session would take the database's write lock just to look)."""
    now = utc_now()
    done = await complete_due_events(sessions, outbox, read_sessions, now=now)
    return done + await expire_due_offers(sessions, outbox, read_sessions, now=now)


async def complete_due_events(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    read_sessions: async_sessionmaker[AsyncSession] | None = None,
    *,
    now: datetime,
) -> int:
    """Complete the published events that ended by `now`, each in its own transaction; returns
    how many this replica completed."""
    async with (read_sessions or sessions)() as session:
        due_events = await repository.events_due_for_completion(session, now=now, limit=BATCH)
    done = 0
    for event_id in due_events:
        async with UnitOfWork(sessions, outbox) as uow:
            changed = await complete_event(uow=uow, event_id=event_id)
        done += int(changed)
    return done


def scheduler_worker(poll_seconds: float) -> WorkerSpec:
    async def run(runtime: ServiceRuntime) -> None:
        while True:
            done = await run_due_jobs(runtime.sessions, runtime.outbox, runtime.read_sessions)
            if done:
                logger.info("scheduler: %d events completed or offers expired", done)
            await asyncio.sleep(poll_seconds)

    return WorkerSpec(name="events scheduler", run=run)
