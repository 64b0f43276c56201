"""The metrics' queries: joins and departures, active members, type counts and health alerts."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.scoring.ledger import repository as ledger_repository
from services.scoring.tables import (
    alert_table,
    change_table,
    content_info_table,
    daily_active_table,
    daily_count_table,
    score_table,
    tally_table,
)


async def record_membership_changes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Remember joins and departures for the metrics; count joins in the tally."""
    await ledger_repository.insert_ignoring_duplicates(session, change_table, rows)
    joined: dict[str, int] = {}
    for row in rows:
        if row["kind"] == "joined":
            joined[str(row["community_id"])] = joined.get(str(row["community_id"]), 0) + 1
    await ledger_repository.upsert(
        session,
        tally_table,
        [{"community_id": cid, "members_joined": n} for cid, n in sorted(joined.items())],
        keys=("community_id",),
        add=("members_joined",),
    )


async def membership_counts_before(
    session: AsyncSession, *, community_id: str, before: datetime
) -> dict[str, int]:
    """Joins and departures that happened before a moment, by kind."""
    query = (
        select(change_table.c.kind, func.count())
        .where(change_table.c.community_id == community_id, change_table.c.occurred_at < before)
        .group_by(change_table.c.kind)
    )
    return {kind: int(count) for kind, count in (await session.execute(query)).all()}


async def departures_by_reason(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime
) -> dict[str | None, int]:
    """Departures in [start, end), by reason (None: none given)."""
    query = (
        select(change_table.c.reason, func.count())
        .where(
            change_table.c.community_id == community_id,
            change_table.c.kind == "left",
            change_table.c.occurred_at >= start,
            change_table.c.occurred_at < end,
        )
        .group_by(change_table.c.reason)
    )
    return {reason: int(count) for reason, count in (await session.execute(query)).all()}


async def active_before_joining(
    session: AsyncSession, *, community_id: str, before_day: str, before: datetime
) -> int:
    """Distinct members active on a local day before `before_day` who had not joined before
    `before` (the midnight starting that day): history from before their join, imported or
    backdated, makes them members from their first active day."""
    joined = select(change_table.c.member_id).where(
        change_table.c.community_id == community_id,
        change_table.c.kind == "joined",
        change_table.c.occurred_at < before,
    )
    query = select(func.count(func.distinct(daily_active_table.c.member_id))).where(
        daily_active_table.c.community_id == community_id,
        daily_active_table.c.day < before_day,
        daily_active_table.c.member_id.not_in(joined),
    )
    return int((await session.execute(query)).scalar_one())


async def active_members(
    session: AsyncSession, *, community_id: str, from_day: str, to_day: str
) -> int:
    """Distinct members active on local days in [from_day, to_day)."""
    query = select(func.count(func.distinct(daily_active_table.c.member_id))).where(
        daily_active_table.c.community_id == community_id,
        daily_active_table.c.day >= from_day,
        daily_active_table.c.day < to_day,
    )
    return int((await session.execute(query)).scalar_one())


async def type_counts(
    session: AsyncSession, *, community_id: str, from_day: str, to_day: str
) -> dict[str, int]:
    query = (
        select(daily_count_table.c.activity_type, func.sum(daily_count_table.c.count))
        .where(
            daily_count_table.c.community_id == community_id,
            daily_count_table.c.day >= from_day,
            daily_count_table.c.day < to_day,
        )
        .group_by(daily_count_table.c.activity_type)
    )
    return {kind: int(total or 0) for kind, total in (await session.execute(query)).all()}


async def joined_between(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime
) -> list[str]:
    query = select(func.distinct(change_table.c.member_id)).where(
        change_table.c.community_id == community_id,
        change_table.c.kind == "joined",
        change_table.c.occurred_at >= start,
        change_table.c.occurred_at < end,
    )
    return [str(member) for member in (await session.execute(query)).scalars()]


async def active_among(
    session: AsyncSession,
    *,
    community_id: str,
    member_ids: Sequence[str],
    from_day: str,
    to_day: str,
) -> int:
    total = 0
    for part in ledger_repository.chunks(list(member_ids)):
        query = select(func.count(func.distinct(daily_active_table.c.member_id))).where(
            daily_active_table.c.community_id == community_id,
            daily_active_table.c.day >= from_day,
            daily_active_table.c.day < to_day,
            daily_active_table.c.member_id.in_(list(part)),
        )
        total += int((await session.execute(query)).scalar_one())
    return total


async def recent_alerts(
    session: AsyncSession, *, community_id: str, limit: int = 20
) -> Sequence[Any]:
    query = (
        select(alert_table)
        .where(alert_table.c.community_id == community_id)
        .order_by(alert_table.c.raised_at.desc())
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def raise_alert(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_if_absent(session, alert_table, values)


async def content_published(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime
) -> int:
    """Content items published in [start, end), as content.published announced them."""
    query = select(func.count()).where(
        content_info_table.c.community_id == community_id,
        content_info_table.c.published_at >= start,
        content_info_table.c.published_at < end,
    )
    return int((await session.execute(query)).scalar_one())


async def changes_since(
    session: AsyncSession, *, community_id: str, since: datetime
) -> list[tuple[str, str, datetime]]:
    """Joins and departures at or after a moment: (member, kind, when)."""
    query = select(change_table.c.member_id, change_table.c.kind, change_table.c.occurred_at).where(
        change_table.c.community_id == community_id, change_table.c.occurred_at >= since
    )
    return [(str(m), str(k), at) for m, k, at in (await session.execute(query)).all()]


async def first_joins_since(
    session: AsyncSession, *, community_id: str, since: datetime
) -> dict[str, datetime]:
    """Members whose first join is at or after a moment, and when it was."""
    first = func.min(change_table.c.occurred_at)
    query = (
        select(change_table.c.member_id, first)
        .where(change_table.c.community_id == community_id, change_table.c.kind == "joined")
        .group_by(change_table.c.member_id)
        .having(first >= since)
    )
    return {str(m): at for m, at in (await session.execute(query)).all()}


async def never_joined(session: AsyncSession, *, community_id: str) -> list[str]:
    """Members with activity (a score row) and no join at all (imported history)."""
    joined = select(change_table.c.member_id).where(
        change_table.c.community_id == community_id, change_table.c.kind == "joined"
    )
    query = select(score_table.c.member_id).where(
        score_table.c.community_id == community_id, score_table.c.member_id.not_in(joined)
    )
    return [str(m) for m in (await session.execute(query)).scalars()]


async def first_active_days(
    session: AsyncSession, *, community_id: str, member_ids: Sequence[str]
) -> dict[str, str]:
    """These members' first local day with activity (seeks on the (community, member, day)
    index)."""
    found: dict[str, str] = {}
    for part in ledger_repository.chunks(list(member_ids)):
        query = (
            select(daily_active_table.c.member_id, func.min(daily_active_table.c.day))
            .where(
                daily_active_table.c.community_id == community_id,
                daily_active_table.c.member_id.in_(list(part)),
            )
            .group_by(daily_active_table.c.member_id)
        )
        found.update({str(m): str(day) for m, day in (await session.execute(query)).all()})
    return found


async def active_by_window(
    session: AsyncSession, *, community_id: str, windows: dict[str, tuple[str, str]]
) -> dict[str, int]:
    """Distinct members active on local days [from_day, to_day) of several windows, in one
    pass over the community's (community, member, day) index grouped by member: a member
    counts in a window when any of their days falls in it. Counting each window DISTINCT
    sorted its rows again (seconds at 100,000 members)."""
    column = daily_active_table.c
    low = min(start for start, _ in windows.values())
    high = max(end for _, end in windows.values())
    flags = (
        select(
            *(
                func.max(case((and_(column.day >= start, column.day < end), 1), else_=0)).label(
                    name
                )
                for name, (start, end) in windows.items()
            )
        )
        .where(column.community_id == community_id, column.day >= low, column.day < high)
        .group_by(column.member_id)
        .subquery()
    )
    query = select(*(func.coalesce(func.sum(flags.c[name]), 0).label(name) for name in windows))
    row = (await session.execute(query)).one()
    return {name: int(row._mapping[name]) for name in windows}
