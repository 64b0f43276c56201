"""Anonymising an erased user's authorship, and withdrawing what they had on its way to
publication; the consumer batch commits."""

from services.common.events.catalogue.vocabulary import ERASED
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.content.erasure import repository
from services.content.items.rules import ContentStatus
from services.content.items.service import withdraw

# Erasure ends the membership: what the member wrote and had not yet published never is
# (their drafts and rejected items stay private, anonymous).
_WAITING = (ContentStatus.IN_REVIEW, ContentStatus.APPROVED, ContentStatus.SCHEDULED)


async def erase_author(*, uow: UnitOfWork, community_id: str, member_id: str, user_id: str) -> None:
    """Anonymise a user's authorship in a community; the content stays, but their items in
    review, approved or scheduled are withdrawn (content.withdrawn, reason author_erased)."""
    waiting = await repository.waiting_items_of(
        uow.session, community_id=community_id, member_id=member_id, statuses=_WAITING
    )
    now = utc_now()
    for item in waiting:
        await withdraw(uow, item, reason="author_erased", by=None)
        item.status, item.updated_at = ContentStatus.WITHDRAWN, now
    await repository.anonymise_author(
        uow.session,
        community_id=community_id,
        member_id=member_id,
        user_id=user_id,
        tombstone=ERASED,
        vote_tombstone=new_id(ERASED),
    )
