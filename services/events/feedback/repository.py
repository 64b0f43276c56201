"""Every query about feedback."""

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from services.common.db_ops import insert_if_absent
from services.events.tables import Feedback, metadata


async def add_feedback(session: AsyncSession, feedback: Feedback) -> bool:
    """Insert the feedback unless the registration gave some already; True if inserted."""
    return await insert_if_absent(session, metadata.tables["feedback"], feedback.model_dump())


async def ratings(session: AsyncSession, event_id: str) -> list[int]:
    query = select(Feedback.rating).where(Feedback.event_id == event_id)
    return list((await session.execute(query)).scalars().all())
