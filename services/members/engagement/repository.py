"""The engagement projection: weighted activity per member per day, and each member's last
activity, kept from `activity.recorded`."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import ActivityDay, Membership, TierPolicy

ACTIVITY_DAY: Table = ActivityDay.__table__  # type: ignore[attr-defined]


async def add_activity(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: str,
    occurred_at: datetime,
    points: float,
) -> None:
    """Add `points` to the member's day and move their last activity forward."""
    if points:
        await _add_to_day(
            session,
            community_id=community_id,
            member_id=member_id,
            day=occurred_at.astimezone(UTC).date(),
            points=points,
        )
    await session.execute(
        update(Membership)
        .where(
            col(Membership.id) == member_id,
            col(Membership.community_id) == community_id,
            or_(
                col(Membership.last_active_at).is_(None),
                col(Membership.last_active_at) < occurred_at,
            ),
        )
        .values(last_active_at=occurred_at)
        .execution_options(synchronize_session=False)
    )


async def _add_to_day(
    session: AsyncSession, *, community_id: str, member_id: str, day: date, points: float
) -> None:
    values = {"community_id": community_id, "member_id": member_id, "day": day, "score": points}
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ACTIVITY_DAY).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["community_id", "member_id", "day"],
        set_={"score": ACTIVITY_DAY.c.score + statement.excluded.score},
    )
    await session.execute(statement)


async def prune_activity_days(
    session: AsyncSession, *, today: date, keep_days: int, default_window_days: int
) -> int:
    """Delete the days no tier-policy window reaches any more; returns how many rows.

    A community keeps `keep_days`, or its policy's longest step period and two days more
    (windows start at a local day, rows are UTC days) when that is longer; a community without
    a policy keeps what the default policy's window needs. A window made longer later fills
    up from then on with what was kept."""
    deleted = 0
    windows = (
        await session.execute(
            select(
                col(TierPolicy.community_id),
                col(TierPolicy.promote_every_days),
                col(TierPolicy.demote_every_days),
            )
        )
    ).all()
    for community_id, promote_days, demote_days in windows:
        kept = max(keep_days, max(promote_days, demote_days) + 2)
        result = await session.execute(
            delete(ACTIVITY_DAY).where(
                ACTIVITY_DAY.c.community_id == community_id,
                ACTIVITY_DAY.c.day < today - timedelta(days=kept),
            )
        )
        deleted += int(getattr(result, "rowcount", 0))
    without_policy = await session.execute(
        delete(ACTIVITY_DAY).where(
            ACTIVITY_DAY.c.day < today - timedelta(days=max(keep_days, default_window_days + 2)),
            ACTIVITY_DAY.c.community_id.not_in(select(col(TierPolicy.community_id))),
        )
    )
    return deleted + int(getattr(without_policy, "rowcount", 0))


async def set_segment(
    session: AsyncSession, *, community_id: str, member_id: str, segment: str
) -> None:
    """Keep the segment scoring announced for a member (the latest announcement wins)."""
    await session.execute(
        update(Membership)
        .where(col(Membership.community_id) == community_id, col(Membership.id) == member_id)
        .values(segment=segment)
        .execution_options(synchronize_session=False)
    )
