"""Content items: create, read, edit and list, and the access checks every other feature of an
item makes (its community, its author, the editor roles). The caller commits once."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import InvalidInput
from services.common.events.catalogue import ContentCreated, ContentWithdrawn
from services.common.events.catalogue.vocabulary import USER_ID_VIEWERS
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess, RoleRequired, access_to_item
from services.common.membership.repository import known_member_ids
from services.common.unit_of_work import UnitOfWork
from services.content.items import repository
from services.content.items.errors import (
    ContentNotFound,
    NotDeletable,
    NotEditable,
    NotYourContent,
    UnknownAuthor,
)
from services.content.items.rules import (
    EDITABLE_STATUSES,
    EDITOR_ROLES,
    PRIVATE_STATUSES,
    ContentKind,
    ContentSource,
    ContentStatus,
)
from services.content.items.schemas import ContentCreate, ContentUpdate
from services.content.polls import repository as polls_repository
from services.content.polls.rules import check_poll_options
from services.content.tables import ContentItem, membership


async def create_content(
    *,
    uow: UnitOfWork,
    access: CommunityAccess,
    community_id: str,
    content_create: ContentCreate,
) -> ContentItem:
    """Create a draft: members write their own member content (UGC); official and partner
    content, or member content in another member's name, needs an editor's role. A muted member
    posts nothing until the mute ends."""
    access.refuse_if_muted()
    check_poll_options(content_create.kind, content_create.poll_options)
    author = content_create.author_member_id
    if content_create.source == ContentSource.MEMBER:
        author = author or access.member_id
        if author is None:  # a platform admin outside the community names the author
            raise InvalidInput(
                "Member content needs author_member_id from a caller who is not a member.",
                field="author_member_id",
            )
        if author != access.member_id and not access.has_role(EDITOR_ROLES):
            raise NotYourContent(EDITOR_ROLES)
    elif not access.has_role(EDITOR_ROLES):
        raise RoleRequired(EDITOR_ROLES)
    if author is not None and author != access.member_id:
        known = await known_member_ids(
            uow.session, membership, community_id=community_id, member_ids=[author]
        )
        if author not in known:
            raise UnknownAuthor(author)
    now = utc_now()
    item = ContentItem(
        id=new_id("cnt"),
        community_id=community_id,
        **content_create.model_dump(exclude={"author_member_id"}),
        author_member_id=author,
        status=ContentStatus.DRAFT,
        created_by=access.actor.id,
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


async def item_with_access(
    session: AsyncSession, actor: Actor, content_id: str, *, for_update: bool = False
) -> tuple[ContentItem, CommunityAccess]:
    """The item and the caller's access to its community; ContentNotFound for either."""
    item = await repository.get_content_item(session, content_id, for_update=for_update)
    if item is None:
        raise ContentNotFound(content_id)
    access = await access_to_item(
        session,
        membership,
        community_id=item.community_id,
        actor=actor,
        hidden=ContentNotFound(content_id),
    )
    return item, access


def require_editor(access: CommunityAccess) -> None:
    """RoleRequired unless the caller curates content in the community."""
    if not access.has_role(EDITOR_ROLES):
        raise RoleRequired(EDITOR_ROLES)


def require_author_or_editor(item: ContentItem, access: CommunityAccess) -> None:
    """NotYourContent unless the caller wrote the item or curates content."""
    if not is_author(item, access) and not access.has_role(EDITOR_ROLES):
        raise NotYourContent(EDITOR_ROLES)


def is_author(item: ContentItem, access: CommunityAccess) -> bool:
    return item.created_by == access.actor.id or (
        access.member_id is not None and item.author_member_id == access.member_id
    )


def may_see(item: ContentItem, access: CommunityAccess) -> bool:
    """Drafts, items in review, rejected and withdrawn ones are their author's and the
    editors' only; everything else every member sees."""
    return (
        item.status not in PRIVATE_STATUSES
        or is_author(item, access)
        or access.has_role(EDITOR_ROLES)
    )


def shows_user_ids(access: CommunityAccess) -> bool:
    """Whether the caller is staff, who see others' user ids."""
    return access.has_role(USER_ID_VIEWERS)


async def get_content(
    *, session: AsyncSession, actor: Actor, content_id: str
) -> tuple[ContentItem, dict[str, int] | None, CommunityAccess]:
    """The item (and a poll's live results), or ContentNotFound, also when the caller is not in
    its community or may not see it (`may_see`)."""
    item, access = await item_with_access(session, actor, content_id)
    if not may_see(item, access):
        raise ContentNotFound(content_id)
    results = None
    if item.kind == ContentKind.POLL:
        results = await polls_repository.poll_results(session, content_id)
    return item, results, access


async def update_content(
    *, uow: UnitOfWork, actor: Actor, content_id: str, content_update: ContentUpdate
) -> ContentItem:
    """Edit a draft or rejected item (its author or an editor)."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    require_author_or_editor(item, access)
    if item.status not in EDITABLE_STATUSES:
        raise NotEditable(item.status)
    changes = content_update.model_dump(exclude_unset=True, exclude_none=True)
    check_poll_options(item.kind, changes.get("poll_options", item.poll_options))
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = utc_now()
    return item


async def list_content(
    *,
    session: AsyncSession,
    access: CommunityAccess,
    community_id: str,
    kind: ContentKind | None,
    status: ContentStatus | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ContentItem]:
    """A community's content items, oldest first: to a member who is no editor, others'
    private items (drafts, in review, rejected, withdrawn) are not there."""
    return await repository.list_content_items(
        session,
        community_id=community_id,
        kind=kind,
        status=status,
        after_id=after_id,
        limit=limit,
        private_to=None if access.has_role(EDITOR_ROLES) else (access.member_id, access.actor.id),
        private_statuses=PRIVATE_STATUSES,
    )


async def delete_content(*, uow: UnitOfWork, actor: Actor, content_id: str) -> None:
    """Delete a draft or rejected item (its author or an editor); content.withdrawn says so."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    if not may_see(item, access):
        raise ContentNotFound(content_id)
    require_author_or_editor(item, access)
    if item.status not in EDITABLE_STATUSES:
        raise NotDeletable(item.status)
    await withdraw(uow, item, reason="deleted", by=actor.id)
    await repository.delete_content_item(uow.session, item)


async def withdraw(uow: UnitOfWork, item: ContentItem, *, reason: str, by: str | None) -> None:
    """Announce that an unpublished item will not be published (the caller changes or deletes
    the row)."""
    await uow.outbox.add(
        uow.session,
        ContentWithdrawn(
            community_id=item.community_id,
            content_id=item.id,
            reason=reason,
            withdrawn_by=by,
            withdrawn_at=utc_now(),
        ),
    )
