"""Every query about content items themselves: one item, a new one, a community's list."""

from collections.abc import Iterable, Sequence

from sqlalchemy import false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.content.tables import ContentItem


async def get_content_item(
    session: AsyncSession, content_id: str, *, for_update: bool = False
) -> ContentItem | None:
    # FOR UPDATE on PostgreSQL: two reviewers acting at once take turns, and the second sees
    # the first one's move. (SQLite's BEGIN IMMEDIATE serialises writers already.)
    return await session.get(ContentItem, content_id, with_for_update=for_update or None)


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
    private_to: tuple[str | None, str] | None = None,
    private_statuses: Iterable[str] = (),
) -> Sequence[ContentItem]:
    """`private_to` (member id, user id): items in `private_statuses` only if that member
    authored them or that user created them."""
    query = (
        select(ContentItem)
        .where(col(ContentItem.community_id) == community_id)
        .order_by(col(ContentItem.id))
        .limit(limit)
    )
    if kind is not None:
        query = query.where(col(ContentItem.kind) == kind)
    if status is not None:
        query = query.where(col(ContentItem.status) == status)
    if after_id is not None:
        query = query.where(col(ContentItem.id) > after_id)
    if private_to is not None:
        member_id, user_id = private_to
        query = query.where(
            or_(
                col(ContentItem.status).not_in(sorted(private_statuses)),
                col(ContentItem.created_by) == user_id,
                col(ContentItem.author_member_id) == member_id
                if member_id is not None
                else false(),
            )
        )
    return (await session.execute(query)).scalars().all()


async def delete_content_item(session: AsyncSession, item: ContentItem) -> None:
    await session.delete(item)
