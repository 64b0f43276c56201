"""Credited days: a member's points per day of the community's timezone, and each member's last
activity, kept from `engagement.credited`."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.events.catalogue.scoring import CreditedDay as Credited
from services.members.tables import CreditedDay, Membership

CREDITED_DAY: Table = CreditedDay.__table__  # type: ignore[attr-defined]


async def add_credited(
    session: AsyncSession, *, community_id: str, days: Sequence[Credited]
) -> None:
    """Add each day's points to the member's day and move their last activity forward."""
    rows = [
        {"community_id": community_id, "member_id": d.member_id, "day": d.day, "points": d.points}
        for d in days
        if d.points
    ]
    if rows:
        dialect = session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(CREDITED_DAY).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["community_id", "member_id", "day"],
            set_={"points": CREDITED_DAY.c.points + statement.excluded.points},
        )
        await session.execute(statement)
    latest: dict[str, Credited] = {}
    for day in days:
        if (
            day.member_id not in latest
            or latest[day.member_id].last_activity_at < day.last_activity_at
        ):
            latest[day.member_id] = day
    for member_id, day in latest.items():
        await session.execute(
            update(Membership)
            .where(
                col(Membership.id) == member_id,
                col(Membership.community_id) == community_id,
                or_(
                    col(Membership.last_active_at).is_(None),
                    col(Membership.last_active_at) < day.last_activity_at,
                ),
            )
            .values(last_active_at=day.last_activity_at)
            .execution_options(synchronize_session=False)
        )


async def prune_credited_days(session: AsyncSession, *, today: date, keep_days: int) -> int:
    """Delete the days older than `keep_days`; returns how many rows. Windows are calendar
    periods of at most a month, judged at most one period late, so 62 days always suffice."""
    result = await session.execute(
        delete(CREDITED_DAY).where(CREDITED_DAY.c.day < today - timedelta(days=keep_days))
    )
    return int(getattr(result, "rowcount", 0))
