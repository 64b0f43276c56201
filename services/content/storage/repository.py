"""Every query the content service makes."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.content.storage.tables import ContentItem


async def get_content_item(session: AsyncSession, content_id: str) -> ContentItem | None:
    return await session.get(ContentItem, content_id)


def add_content_item(session: AsyncSession, item: ContentItem) -> None:
    session.add(item)


async def list_content_items(
    session: AsyncSession,
    *,
    community_id: str,
    kind: str | None,
    status: str | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ContentItem]:
    query = (
        select(ContentItem)
        .where(ContentItem.community_id == community_id)
        .order_by(col(ContentItem.id))
        .limit(limit)
    )
    if kind is not None:
        query = query.where(ContentItem.kind == kind)
    if status is not None:
        query = query.where(ContentItem.status == status)
    if after_id is not None:
        query = query.where(col(ContentItem.id) > after_id)
    return (await session.execute(query)).scalars().all()
