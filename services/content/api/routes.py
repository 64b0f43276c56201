"""HTTP endpoints of the content service."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.auth import ActorDep
from services.common.fields import PathId
from services.common.membership import CommunityAccess, require_member
from services.common.pagination import Page, PageDep
from services.common.service import ReadSessionDep, UnitOfWorkDep
from services.content.api.schemas import ContentCreate, ContentPublic
from services.content.domain import use_cases
from services.content.domain.models import ContentKind, ContentStatus
from services.content.storage.tables import membership

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
    """Create a content item as a draft; any member of the community may."""
    item = await use_cases.create_content(
        uow=uow, actor=access.actor, community_id=community_id, content_create=content_create
    )
    return ContentPublic.model_validate(item, from_attributes=True)


@router.get("/communities/{community_id}/content")
async def list_content(
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    _member: MemberDep,
    kind: ContentKind | None = None,
    content_status: Annotated[ContentStatus | None, Query(alias="status")] = None,
) -> Page[ContentPublic]:
    """A community's content items, oldest first."""
    rows = await use_cases.list_content(
        session=session,
        community_id=community_id,
        kind=kind,
        status=content_status,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [ContentPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page[ContentPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/content/{content_id}")
async def get_content(
    content_id: ContentId, session: ReadSessionDep, actor: ActorDep
) -> ContentPublic:
    """A content item of a community the caller belongs to."""
    item = await use_cases.get_content(session=session, actor=actor, content_id=content_id)
    return ContentPublic.model_validate(item, from_attributes=True)
