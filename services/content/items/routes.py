"""HTTP endpoints of the content items: create, list, read, edit."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.content.items import service
from services.content.items.rules import ContentKind, ContentStatus
from services.content.items.schemas import ContentCreate, ContentPublic, ContentUpdate
from services.content.tables import membership

router = APIRouter(tags=["content"])

CommunityId = PathId
ContentId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
MemberWritingDep = Annotated[CommunityAccess, Depends(require_member(membership, writes=True))]


@router.post("/communities/{community_id}/content", status_code=status.HTTP_201_CREATED)
async def create_content(
    community_id: CommunityId,
    content_create: ContentCreate,
    uow: UnitOfWorkDep,
    access: MemberWritingDep,
) -> ContentPublic:
    """Create a draft. Any member writes their own member content (source `member`, authored
    by their member id); official and partner content needs owner, admin, assistant or
    recorder."""
    item = await service.create_content(
        uow=uow, access=access, community_id=community_id, content_create=content_create
    )
    return ContentPublic.of(item)


@router.get("/communities/{community_id}/content")
async def list_content(
    *,
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    member: MemberDep,
    kind: ContentKind | None = None,
    content_status: Annotated[ContentStatus | None, Query(alias="status")] = None,
) -> Page[ContentPublic]:
    """A community's content items, oldest first; others' drafts, items in review, rejected
    and withdrawn ones only to editors."""
    rows = await service.list_content(
        session=session,
        access=member,
        community_id=community_id,
        kind=kind,
        status=content_status,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    staff = service.shows_user_ids(member)
    items = [ContentPublic.of(row).seen_by(user_id=member.actor.id, staff=staff) for row in rows]
    return Page[ContentPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/content/{content_id}")
async def get_content(
    content_id: ContentId, session: ReadSessionDep, actor: ActorDep
) -> ContentPublic:
    """A content item of a community the caller belongs to; a poll with its live results."""
    item, results, access = await service.get_content(
        session=session, actor=actor, content_id=content_id
    )
    return ContentPublic.of(item, results).seen_by(
        user_id=actor.id, staff=service.shows_user_ids(access)
    )


@router.patch("/content/{content_id}")
async def update_content(
    content_id: ContentId, content_update: ContentUpdate, uow: UnitOfWorkDep, actor: ActorDep
) -> ContentPublic:
    """Edit an item while it is a draft or rejected (409 otherwise); its author or an editor."""
    item = await service.update_content(
        uow=uow, actor=actor, content_id=content_id, content_update=content_update
    )
    return ContentPublic.of(item)


@router.delete("/content/{content_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_content(content_id: ContentId, uow: UnitOfWorkDep, actor: ActorDep) -> None:
    """Delete a draft or rejected item (its author or an editor; 409 once submitted further)."""
    await service.delete_content(uow=uow, actor=actor, content_id=content_id)
