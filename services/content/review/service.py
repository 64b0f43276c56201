"""Review: submit an item through screening, and a reviewer's approve or reject. The caller
commits once."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import (
    ContentApproved,
    ContentFlagged,
    ContentRejected,
    ContentSubmitted,
    ScreeningHit,
)
from services.common.events.envelope import utc_now
from services.common.screening.rules import screener_for
from services.common.unit_of_work import UnitOfWork
from services.content.items.rules import ContentStatus, target
from services.content.items.service import (
    item_with_access,
    require_author_or_editor,
    require_editor,
)
from services.content.review.schemas import ContentReview
from services.content.screening import repository as screening_repository
from services.content.screening.rules import ScreeningAction
from services.content.tables import ContentItem


async def screen_item(
    session: AsyncSession, item: ContentItem
) -> tuple[list[ScreeningHit], ScreeningAction]:
    """What the community's screening finds in the item, and what it does with a hit."""
    settings = await screening_repository.get_screening_settings(session, item.community_id)
    screener = screener_for(
        settings.words if settings else {}, settings.allowed_domains if settings else []
    )
    hits = screener.screen([item.title, item.body, *item.tags, *item.poll_options])
    action = ScreeningAction(settings.action) if settings else ScreeningAction.REJECT
    return hits, action


async def submit_content(*, uow: UnitOfWork, actor: Actor, content_id: str) -> ContentItem:
    """Send an item to review through screening: clean → in_review; a hit → rejected with the
    reasons, or in_review flagged for a person, as the community chose."""
    item, access = await item_with_access(uow.session, actor, content_id, for_update=True)
    require_author_or_editor(item, access)
    target("submit", item.status, ContentStatus.IN_REVIEW)
    hits, action = await screen_item(uow.session, item)
    now = utc_now()
    item.screening = [hit.model_dump() for hit in hits]
    item.flagged = bool(hits) and action == ScreeningAction.FLAG
    item.review_reason = None
    item.reviewed_by = None
    item.updated_at = now
    if hits and action == ScreeningAction.REJECT:
        item.status = target("submit", item.status, ContentStatus.REJECTED)
        await uow.outbox.add(uow.session, _rejected(item, by=None, screening=hits, at=now))
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


def _rejected(
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
    await uow.outbox.add(uow.session, _rejected(item, by=actor.id, at=now, reason=reason))
    return item
