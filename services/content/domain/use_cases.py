"""The content use cases. They change state and write events; the caller commits once."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import ContentCreated
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership import access_to_item
from services.common.unit_of_work import UnitOfWork
from services.content.api.schemas import ContentCreate
from services.content.domain.models import (
    ContentKind,
    ContentNotFound,
    ContentStatus,
)
from services.content.storage import repository
from services.content.storage.tables import ContentItem, membership


async def create_content(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    content_create: ContentCreate,
) -> ContentItem:
    """Create a draft content item in a community the caller was admitted to."""
    now = utc_now()
    item = ContentItem(
        id=new_id("cnt"),
        community_id=community_id,
        **content_create.model_dump(),
        status=ContentStatus.DRAFT,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    repository.add_content_item(uow.session, item)
    await uow.outbox.add(
        uow.session,
        ContentCreated(
            community_id=community_id,
            content_id=item.id,
            kind=item.kind,
            title=item.title,
            source_kind=item.source,
            author_member_id=item.author_member_id,
            created_at=now,
        ),
    )
    return item


async def get_content(*, session: AsyncSession, actor: Actor, content_id: str) -> ContentItem:
    """The content item, or ContentNotFound (also when the caller is not in its community)."""
    item = await repository.get_content_item(session, content_id)
    if item is None:
        raise ContentNotFound(content_id)
    await access_to_item(
        session,
        membership,
        community_id=item.community_id,
        actor=actor,
        hidden=ContentNotFound(content_id),
    )
    return item


async def list_content(
    *,
    session: AsyncSession,
    community_id: str,
    kind: ContentKind | None,
    status: ContentStatus | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ContentItem]:
    """A community's content items, oldest first."""
    return await repository.list_content_items(
        session,
        community_id=community_id,
        kind=kind,
        status=status,
        after_id=after_id,
        limit=limit,
    )
