"""The registrations' share of the events service's scheduler (events.workers): offered seats
whose claim window ran out pass on to the next in line."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.events.outbox import Outbox
from services.common.unit_of_work import UnitOfWork
from services.events.registrations import repository
from services.events.registrations.service import expire_offer

BATCH = 100


async def expire_due_offers(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    read_sessions: async_sessionmaker[AsyncSession] | None = None,
    *,
    now: datetime,
) -> int:
    """Expire the offers whose claim window ended by `now`, each in its own transaction; returns
    how many this replica expired (another may have won the race for some)."""
    async with (read_sessions or sessions)() as session:
        due_offers = await repository.expired_offers(session, now=now, limit=BATCH)
    done = 0
    for registration_id, event_id in due_offers:
        async with UnitOfWork(sessions, outbox) as uow:
            changed = await expire_offer(
                uow=uow, registration_id=registration_id, event_id=event_id
            )
        done += int(changed)
    return done
