"""Every query the content service makes."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.db_ops import insert_if_absent
from services.content.domain.models import ContentStatus
from services.content.storage.tables import (
    ContentItem,
    PollVote,
    PublishingRulesRow,
    ScreeningSettingsRow,
    Series,
    membership,
)

BOOKED = (ContentStatus.SCHEDULED, ContentStatus.PUBLISHED)


async def get_content_item(
    session: AsyncSession, content_id: str, *, for_update: bool = False
) -> ContentItem | None:
    # FOR UPDATE on PostgreSQL: two reviewers acting at once take turns, and the second sees
    # the first one's move. (SQLite's BEGIN IMMEDIATE serialises writers already.)
    return await session.get(ContentItem, content_id, with_for_update=for_update or None)


def add_content_item(session: AsyncSession, item: ContentItem) -> None:
    session.add(item)


async def list_content_items(
    session: AsyncSession,
    *,
    community_id: str,
    kind: str | None,
    status: str | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ContentItem]:
    query = (
        select(ContentItem)
        .where(col(ContentItem.community_id) == community_id)
        .order_by(col(ContentItem.id))
        .limit(limit)
    )
    if kind is not None:
        query = query.where(col(ContentItem.kind) == kind)
    if status is not None:
        query = query.where(col(ContentItem.status) == status)
    if after_id is not None:
        query = query.where(col(ContentItem.id) > after_id)
    return (await session.execute(query)).scalars().all()


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


async def get_screening_settings(
    session: AsyncSession, community_id: str
) -> ScreeningSettingsRow | None:
    return await session.get(ScreeningSettingsRow, community_id)


async def save_row(session: AsyncSession, row: Any) -> Any:
    return await session.merge(row)


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


# --- series -----------------------------------------------------------------------------------


def add_series(session: AsyncSession, series: Series) -> None:
    session.add(series)


async def all_series(session: AsyncSession) -> Sequence[Series]:
    return (await session.execute(select(Series).order_by(col(Series.id)))).scalars().all()


async def occurrences_made(
    session: AsyncSession, *, series_id: str, start: datetime
) -> set[datetime]:
    query = select(col(ContentItem.occurrence_at)).where(
        col(ContentItem.series_id) == series_id, col(ContentItem.occurrence_at) >= start
    )
    return {row for row in (await session.execute(query)).scalars().all() if row is not None}


async def insert_item_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert an item unless one holds its (series_id, occurrence_at) already."""
    return await insert_if_absent(session, ContentItem.metadata.tables["content_item"], values)


# --- polls ------------------------------------------------------------------------------------


async def add_vote(session: AsyncSession, vote: PollVote) -> bool:
    """Record a vote; False if the member had voted in this poll already."""
    return await insert_if_absent(
        session,
        PollVote.metadata.tables["poll_vote"],
        {
            "content_id": vote.content_id,
            "member_id": vote.member_id,
            "community_id": vote.community_id,
            "option": vote.option,
            "voted_at": vote.voted_at,
        },
    )


async def poll_results(session: AsyncSession, content_id: str) -> dict[str, int]:
    query = (
        select(col(PollVote.option), func.count())
        .where(col(PollVote.content_id) == content_id)
        .group_by(col(PollVote.option))
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


# --- engagement and erasure -------------------------------------------------------------------

ENGAGEMENT_COLUMNS = {
    "views": ContentItem.views,
    "reactions": ContentItem.reactions,
    "comments": ContentItem.comments,
    "shares": ContentItem.shares,
}


async def count_engagement(
    session: AsyncSession, *, community_id: str, content_id: str, counter: str
) -> None:
    column = col(ENGAGEMENT_COLUMNS[counter])
    await session.execute(
        update(ContentItem)
        .where(col(ContentItem.id) == content_id, col(ContentItem.community_id) == community_id)
        .values({column: column + 1})
        .execution_options(synchronize_session=False)
    )


async def anonymise_author(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: str,
    user_id: str,
    tombstone: str,
    vote_tombstone: str,
) -> None:
    """Leave nothing of a user on the community's content but a tombstone."""
    await session.execute(
        update(ContentItem)
        .where(
            col(ContentItem.community_id) == community_id,
            col(ContentItem.author_member_id) == member_id,
        )
        .values(author_erased=True)
        .execution_options(synchronize_session=False)
    )
    for column in (ContentItem.created_by, ContentItem.reviewed_by):
        await session.execute(
            update(ContentItem)
            .where(col(ContentItem.community_id) == community_id, col(column) == user_id)
            .values({col(column): tombstone})
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        update(Series)
        .where(col(Series.community_id) == community_id, col(Series.created_by) == user_id)
        .values(created_by=tombstone)
        .execution_options(synchronize_session=False)
    )
    # Votes keep counting, but no longer say who voted what.
    await session.execute(
        update(PollVote)
        .where(col(PollVote.community_id) == community_id, col(PollVote.member_id) == member_id)
        .values(member_id=vote_tombstone)
        .execution_options(synchronize_session=False)
    )
