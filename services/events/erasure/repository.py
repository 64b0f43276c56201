"""The erasure's query: a member's personal data out of this service's rows."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.events.tables import Challenge, ChallengeCheckin, Feedback, Registration


async def anonymise_member(
    session: AsyncSession, *, community_id: str, member_id: str, alias: str
) -> int:
    """Take the member out of the community's registrations (they still count), feedback
    comments and challenge check-ins (under `alias`); returns the registrations changed."""
    registration_ids = select(Registration.id).where(
        col(Registration.community_id) == community_id, col(Registration.member_id) == member_id
    )
    await session.execute(
        update(Feedback)
        .where(col(Feedback.registration_id).in_(registration_ids))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(Registration)
        .where(
            col(Registration.community_id) == community_id,
            col(Registration.member_id) == member_id,
        )
        .values(member_id=None, registered_by=None)
        .execution_options(synchronize_session=False)
    )
    challenge_ids = select(Challenge.id).where(Challenge.community_id == community_id)
    await session.execute(
        update(ChallengeCheckin)
        .where(
            col(ChallengeCheckin.challenge_id).in_(challenge_ids),
            col(ChallengeCheckin.member_id) == member_id,
        )
        .values(member_id=alias)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))
