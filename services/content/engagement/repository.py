"""The engagement counters' one query."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.content.tables import ContentItem

ENGAGEMENT_COLUMNS = {
    "views": ContentItem.views,
    "reactions": ContentItem.reactions,
    "comments": ContentItem.comments,
    "shares": ContentItem.shares,
}


async def count_engagement(
    session: AsyncSession, *, community_id: str, content_id: str, counter: str
) -> None:
    column = col(ENGAGEMENT_COLUMNS[counter])
    await session.execute(
        update(ContentItem)
        .where(col(ContentItem.id) == content_id, col(ContentItem.community_id) == community_id)
        .values({column: column + 1})
        .execution_options(synchronize_session=False)
    )
