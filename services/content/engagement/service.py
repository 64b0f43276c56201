"""Counting activities on items; the consumer batch commits."""

from services.common.unit_of_work import UnitOfWork
from services.content.engagement import repository
from services.content.engagement.rules import counter_of


async def count_activity(
    *, uow: UnitOfWork, community_id: str, content_id: str | None, activity_type: str
) -> None:
    """Count an activity on an item of the same community towards its engagement."""
    counter = counter_of(activity_type)
    if content_id is None or counter is None:
        return
    await repository.count_engagement(
        uow.session, community_id=community_id, content_id=content_id, counter=counter
    )
