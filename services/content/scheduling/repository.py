"""Every query of scheduling and publishing: the community's timezone and publishing rules, the
booked times, the calendar, and the publisher's claim on due items."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.content.items.rules import ContentStatus
from services.content.tables import ContentItem, PublishingRulesRow, membership

BOOKED = (ContentStatus.SCHEDULED, ContentStatus.PUBLISHED)


async def community_timezone(session: AsyncSession, community_id: str) -> str | None:
    community = membership.community
    query = select(community.c.timezone).where(community.c.id == community_id)
    timezone: str | None = (await session.execute(query)).scalar_one_or_none()
    return timezone


async def lock_community_timezone(session: AsyncSession, community_id: str) -> str | None:
    """The community's timezone, its projection row locked (PostgreSQL) so that decisions
    about its calendar are taken one at a time."""
    community = membership.community
    query = select(community.c.timezone).where(community.c.id == community_id).with_for_update()
    timezone: str | None = (await session.execute(query)).scalar_one_or_none()
    return timezone


async def get_publishing_rules(
    session: AsyncSession, community_id: str
) -> PublishingRulesRow | None:
    return await session.get(PublishingRulesRow, community_id)


async def save_publishing_rules(session: AsyncSession, row: PublishingRulesRow) -> None:
    """Insert or replace the community's rules."""
    await session.merge(row)


async def booked_items(
    session: AsyncSession,
    *,
    community_id: str,
    start: datetime,
    end: datetime | None,
    excluding: str | None = None,
) -> Sequence[tuple[datetime, list[str]]]:
    """(publish_at, tier_ids) of the community's scheduled and published items in [start, end]."""
    query = select(col(ContentItem.publish_at), col(ContentItem.tier_ids)).where(
        col(ContentItem.community_id) == community_id,
        col(ContentItem.status).in_(BOOKED),
        col(ContentItem.publish_at) >= start,
    )
    if end is not None:
        query = query.where(col(ContentItem.publish_at) <= end)
    if excluding is not None:
        query = query.where(col(ContentItem.id) != excluding)
    rows = (await session.execute(query)).all()
    return [(row[0], list(row[1])) for row in rows if row[0] is not None]


async def calendar_items(
    session: AsyncSession,
    *,
    community_id: str,
    start: datetime | None,
    end: datetime | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ContentItem]:
    """Scheduled and published items by (publish_at, id); a page starts after `after_id`."""
    query = (
        select(ContentItem)
        .where(
            col(ContentItem.community_id) == community_id,
            col(ContentItem.status).in_(BOOKED),
        )
        .order_by(col(ContentItem.publish_at), col(ContentItem.id))
        .limit(limit)
    )
    if start is not None:
        query = query.where(col(ContentItem.publish_at) >= start)
    if end is not None:
        query = query.where(col(ContentItem.publish_at) < end)
    if after_id is not None:
        previous = await session.get(ContentItem, after_id)
        if previous is not None and previous.publish_at is not None:
            query = query.where(
                or_(
                    col(ContentItem.publish_at) > previous.publish_at,
                    (col(ContentItem.publish_at) == previous.publish_at)
                    & (col(ContentItem.id) > after_id),
                )
            )
        else:
            query = query.where(col(ContentItem.id) > after_id)
    return (await session.execute(query)).scalars().all()


# --- the publisher ----------------------------------------------------------------------------


async def any_due(session: AsyncSession, now: datetime) -> bool:
    query = (
        select(col(ContentItem.id))
        .where(col(ContentItem.status) == ContentStatus.SCHEDULED)
        .where(col(ContentItem.publish_at) <= now)
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


async def claim_due_items(
    session: AsyncSession, *, now: datetime, late_before: datetime, limit: int
) -> Sequence[ContentItem]:
    """Mark up to `limit` due scheduled items published and return them: each is claimed by
    exactly one caller, however many publishers run.

    PostgreSQL: the due rows are locked `FOR UPDATE SKIP LOCKED`, so a second publisher takes
    other rows instead of waiting. SQLite: the write transaction began IMMEDIATE, so no other
    writer runs between the select and the update. Either way the UPDATE repeats
    `status = 'scheduled'`, and only the rows it changed (RETURNING) are published.
    """
    query = (
        select(ContentItem)
        .where(col(ContentItem.status) == ContentStatus.SCHEDULED)
        .where(col(ContentItem.publish_at) <= now)
        .order_by(col(ContentItem.publish_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    candidates = (await session.execute(query)).scalars().all()
    if not candidates:
        return []
    claim = (
        update(ContentItem)
        .where(col(ContentItem.id).in_([item.id for item in candidates]))
        .where(col(ContentItem.status) == ContentStatus.SCHEDULED)
        .values(
            status=ContentStatus.PUBLISHED,
            published_at=now,
            late=col(ContentItem.publish_at) < late_before,
            updated_at=now,
        )
        .returning(col(ContentItem.id))
        .execution_options(synchronize_session=False)
    )
    claimed = set((await session.execute(claim)).scalars().all())
    # The rows are what the UPDATE made them; the loaded copies are detached and brought to
    # the same values here rather than read again one by one.
    for item in candidates:
        session.expunge(item)
    published = [item for item in candidates if item.id in claimed]
    for item in published:
        assert item.publish_at is not None
        item.status, item.published_at, item.updated_at = ContentStatus.PUBLISHED, now, now
        item.late = item.publish_at < late_before
    return published
