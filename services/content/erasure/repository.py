"""The erasure's query: a user's traces on a community's content replaced by tombstones."""

from collections.abc import Sequence

from sqlalchemy import select, update
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


async def waiting_items_of(
    session: AsyncSession, *, community_id: str, member_id: str, statuses: Sequence[str]
) -> Sequence[ContentItem]:
    """The member's own items still on their way to publication, locked against the
    publisher (which claims only `scheduled` rows, and skips locked ones on PostgreSQL)."""
    query = (
        select(ContentItem)
        .where(
            col(ContentItem.community_id) == community_id,
            col(ContentItem.author_member_id) == member_id,
            col(ContentItem.status).in_(list(statuses)),
        )
        .with_for_update()
    )
    return (await session.execute(query)).scalars().all()
