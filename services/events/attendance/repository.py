"""Every query of check-in: recording it once, and counting who came."""

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.events.tables import Registration


async def mark_checked_in(session: AsyncSession, *, registration_id: str, now: datetime) -> bool:
    """Record the check-in unless one is recorded: of two racing check-ins one wins."""
    statement = (
        update(Registration)
        .where(col(Registration.id) == registration_id, col(Registration.checked_in_at).is_(None))
        .values(checked_in_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def attended_count(session: AsyncSession, event_id: str) -> int:
    query = select(func.count()).where(
        Registration.event_id == event_id, col(Registration.checked_in_at).is_not(None)
    )
    return int((await session.execute(query)).scalar_one())
