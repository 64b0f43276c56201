"""Review: submit an item through screening, and a reviewer's approve or reject. The caller
commits once."""

from datetime import datetime

from services.common.auth import Actor
from services.common.events.catalogue import (
    ContentApproved,
    ContentFlagged,
    ContentRejected,
    ContentSubmitted,
    ScreeningHit,
)
from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.content.items.rules import ContentStatus, target
from services.content.items.service import (
    item_with_access,
    require_author_or_editor,
    require_editor,
)
from services.content.review.schemas import ContentReview
from services.content.screening.rules import ScreeningAction
from services.content.screening.service import screen_item
from services.content.tables import ContentItem


async def submit_content(*, uow: UnitOfWork, actor: Actor, content_id: str) -> ContentItem:
    """Send an item to review through screening: clean → in_review; a hit → rejected with the
    reasons, or in_review flagged for a person, as the community chose for the item's source
    (official content: flagged, any link allowed, by default)."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    require_author_or_editor(item, access)
    target("submit", item.status, ContentStatus.IN_REVIEW)
    hits, policy = await screen_item(uow.session, item)
    action = policy.action
    now = utc_now()
    item.screening = [hit.model_dump() for hit in hits]
    item.flagged = bool(hits) and action == ScreeningAction.FLAG
    item.review_reason = None
    item.reviewed_by = None
    item.updated_at = now
    if hits and action == ScreeningAction.REJECT:
        item.status = target("submit", item.status, ContentStatus.REJECTED)
        await uow.outbox.add(uow.session, rejected_event(item, by=None, screening=hits, at=now))
        return item
    item.status = ContentStatus.IN_REVIEW
    await uow.outbox.add(
        uow.session,
        ContentSubmitted(
            community_id=item.community_id,
            content_id=item.id,
            kind=item.kind,
            source_kind=item.source,
            author_member_id=item.author_member_id,
            submitted_by=actor.id,
            submitted_at=now,
        ),
    )
    if item.flagged:
        await uow.outbox.add(
            uow.session,
            ContentFlagged(
                community_id=item.community_id, content_id=item.id, screening=hits, flagged_at=now
            ),
        )
    return item


def rejected_event(
    item: ContentItem,
    *,
    by: str | None,
    at: datetime,
    screening: list[ScreeningHit] | None = None,
    reason: str | None = None,
) -> ContentRejected:
    return ContentRejected(
        community_id=item.community_id,
        content_id=item.id,
        kind=item.kind,
        source_kind=item.source,
        author_member_id=item.author_member_id,
        rejected_by=by,
        reason=reason,
        screening=screening or [],
        rejected_at=at,
    )


async def approve_content(
    *, uow: UnitOfWork, actor: Actor, content_id: str, review: ContentReview | None
) -> ContentItem:
    """A reviewer approves an item in review."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    require_editor(access)
    item.status = target("approve", item.status, ContentStatus.APPROVED)
    now = utc_now()
    item.reviewed_by, item.updated_at = actor.id, now
    item.review_reason = review.reason if review else None
    await uow.outbox.add(
        uow.session,
        ContentApproved(
            community_id=item.community_id,
            content_id=item.id,
            kind=item.kind,
            source_kind=item.source,
            author_member_id=item.author_member_id,
            approved_by=actor.id,
            approved_at=now,
        ),
    )
    return item


async def reject_content(
    *, uow: UnitOfWork, actor: Actor, content_id: str, review: ContentReview | None
) -> ContentItem:
    """A reviewer rejects an item in review; its author may edit it and submit again."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    require_editor(access)
    item.status = target("reject", item.status, ContentStatus.REJECTED)
    now = utc_now()
    reason = review.reason if review else None
    item.reviewed_by, item.review_reason, item.updated_at = actor.id, reason, now
    await uow.outbox.add(uow.session, rejected_event(item, by=actor.id, at=now, reason=reason))
    return item
