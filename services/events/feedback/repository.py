"""Every query about feedback."""

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.common.db_ops import insert_if_absent
from services.events.tables import Feedback, Registration, metadata


async def add_feedback(session: AsyncSession, feedback: Feedback) -> bool:
    """Insert the feedback unless the registration gave some already; True if inserted."""
    return await insert_if_absent(session, metadata.tables["feedback"], feedback.model_dump())


async def ratings(session: AsyncSession, event_id: str) -> list[int]:
    query = select(Feedback.rating).where(Feedback.event_id == event_id)
    return list((await session.execute(query)).scalars().all())


async def event_feedback(session: AsyncSession, event_id: str) -> list[tuple[str | None, Feedback]]:
    """The event's feedback with the member who gave it (None once erased), oldest first."""
    query = (
        select(Registration.member_id, Feedback)
        .join(Registration, col(Registration.id) == col(Feedback.registration_id))
        .where(Feedback.event_id == event_id)
        .order_by(col(Feedback.submitted_at), col(Feedback.registration_id))
    )
    return [(member_id, feedback) for member_id, feedback in (await session.execute(query)).all()]
