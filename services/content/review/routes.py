"""HTTP endpoints of the review: submit, approve, reject."""

from fastapi import APIRouter

from services.common.api.deps import ActorDep, PathId, UnitOfWorkDep
from services.content.items.schemas import ContentPublic, NoFields
from services.content.review import service
from services.content.review.schemas import ContentReview

router = APIRouter(tags=["content"])

ContentId = PathId


@router.post("/content/{content_id}/submit")
async def submit_content(
    content_id: ContentId, uow: UnitOfWorkDep, actor: ActorDep, _body: NoFields | None = None
) -> ContentPublic:
    """Screen the item and send it to review: `in_review` (maybe `flagged`), or `rejected`
    with the `screening` reasons, as the community's screening settings say."""
    item = await service.submit_content(uow=uow, actor=actor, content_id=content_id)
    return ContentPublic.of(item)


@router.post("/content/{content_id}/approve")
async def approve_content(
    content_id: ContentId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    review: ContentReview | None = None,
) -> ContentPublic:
    """Approve an item in review (owner, admin, assistant or recorder)."""
    item = await service.approve_content(uow=uow, actor=actor, content_id=content_id, review=review)
    return ContentPublic.of(item)


@router.post("/content/{content_id}/reject")
async def reject_content(
    content_id: ContentId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    review: ContentReview | None = None,
) -> ContentPublic:
    """Reject an item in review, with an optional `reason` (owner, admin, assistant or
    recorder)."""
    item = await service.reject_content(uow=uow, actor=actor, content_id=content_id, review=review)
    return ContentPublic.of(item)
