"""The engagement projection: weighted activity per member per day, and each member's last
activity, kept from `activity.recorded`."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.storage.tables import ActivityDay, Membership

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
