"""The erasure's query: a user's traces on a community's content replaced by tombstones."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.content.tables import ContentItem, PollVote, Series


async def anonymise_author(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: str,
    user_id: str,
    tombstone: str,
    vote_tombstone: str,
) -> None:
    """Leave nothing of a user on the community's content but a tombstone."""
    await session.execute(
        update(ContentItem)
        .where(
            col(ContentItem.community_id) == community_id,
            col(ContentItem.author_member_id) == member_id,
        )
        .values(author_erased=True)
        .execution_options(synchronize_session=False)
    )
    for column in (ContentItem.created_by, ContentItem.reviewed_by):
        await session.execute(
            update(ContentItem)
            .where(col(ContentItem.community_id) == community_id, col(column) == user_id)
            .values({col(column): tombstone})
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        update(Series)
        .where(col(Series.community_id) == community_id, col(Series.created_by) == user_id)
        .values(created_by=tombstone)
        .execution_options(synchronize_session=False)
    )
    # Votes keep counting, but no longer say who voted what.
    await session.execute(
        update(PollVote)
        .where(col(PollVote.community_id) == community_id, col(PollVote.member_id) == member_id)
        .values(member_id=vote_tombstone)
        .execution_options(synchronize_session=False)
    )
