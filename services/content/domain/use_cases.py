"""The content use cases. They change state and write events; the caller commits once."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import ContentCreated
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.content.api.schemas import ContentCreate
from services.content.domain.models import (
    ContentKind,
    ContentNotFound,
    ContentStatus,
)
from services.content.storage import repository
from services.content.storage.tables import ContentItem


async def create_content(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    content_create: ContentCreate,
) -> ContentItem:
    """Create a draft content item in a community.

    The community is not checked: this service learns which communities exist from the
    members service's events, a read model that arrives in a later slice.
    """
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


async def get_content(*, session: AsyncSession, content_id: str) -> ContentItem:
    """The content item, or ContentNotFound."""
    item = await repository.get_content_item(session, content_id)
    if item is None:
        raise ContentNotFound(content_id)
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
