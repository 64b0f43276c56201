"""The reports' queries: the read models their consumer keeps, and stored reports."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.scoring.ledger import repository as ledger_repository
from services.scoring.tables import (
    SignalHour,
    alert_table,
    community_table,
    content_day_table,
    content_info_table,
    daily_active_table,
    daily_count_table,
    event_stat_table,
    report_table,
    score_table,
    segment_move_table,
    tier_move_table,
)
from services.scoring.tables import (
    change_table as membership_change_table,
)

# --- what the consumer keeps -------------------------------------------------------------


async def save_content(session: AsyncSession, values: dict[str, Any]) -> None:
    await ledger_repository.upsert(
        session,
        content_info_table,
        [values],
        keys=("community_id", "content_id"),
        replace=("kind", "title", "source_kind", "published_at"),
    )


async def count_content_activity(
    session: AsyncSession, *, community_id: str, day: str, content_id: str, activity_type: str
) -> None:
    await ledger_repository.upsert(
        session,
        content_day_table,
        [
            {
                "community_id": community_id,
                "day": day,
                "content_id": content_id,
                "activity_type": activity_type,
                "count": 1,
            }
        ],
        keys=("community_id", "day", "content_id", "activity_type"),
        add=("count",),
    )


_EVENT_DEFAULTS: dict[str, Any] = {
    "title": "",
    "kind": "",
    "starts_at": None,
    "status": "published",
    "registered": 0,
    "attended": 0,
    "rating_sum": 0,
    "ratings": 0,
}


async def ensure_event(session: AsyncSession, *, community_id: str, event_id: str) -> None:
    await insert_if_absent(
        session,
        event_stat_table,
        {"community_id": community_id, "event_id": event_id, **_EVENT_DEFAULTS},
    )


def _event(community_id: str, event_id: str) -> Any:
    return and_(
        event_stat_table.c.community_id == community_id, event_stat_table.c.event_id == event_id
    )


async def set_event(
    session: AsyncSession, *, community_id: str, event_id: str, values: dict[str, Any]
) -> None:
    await ensure_event(session, community_id=community_id, event_id=event_id)
    await session.execute(
        update(event_stat_table).where(_event(community_id, event_id)).values(**values)
    )


async def add_to_event(
    session: AsyncSession, *, community_id: str, event_id: str, deltas: dict[str, int]
) -> None:
    await ensure_event(session, community_id=community_id, event_id=event_id)
    await session.execute(
        update(event_stat_table)
        .where(_event(community_id, event_id))
        .values({name: event_stat_table.c[name] + delta for name, delta in deltas.items()})
    )


async def record_tier_move(session: AsyncSession, values: dict[str, Any]) -> None:
    await insert_if_absent(session, tier_move_table, values)


async def record_segment_move(session: AsyncSession, values: dict[str, Any]) -> None:
    await insert_if_absent(session, segment_move_table, values)


# --- what reports read -------------------------------------------------------------------


async def community_since(session: AsyncSession, community_id: str) -> tuple[datetime, str | None]:
    """When the community was created, and its first local day with activity (imported
    history can be older than the community)."""
    created = (
        await session.execute(
            select(community_table.c.created_at).where(community_table.c.id == community_id)
        )
    ).scalar_one()
    first_day = (
        await session.execute(
            select(func.min(daily_active_table.c.day)).where(
                daily_active_table.c.community_id == community_id
            )
        )
    ).scalar_one_or_none()
    first_change = (
        await session.execute(
            select(func.min(membership_change_table.c.occurred_at)).where(
                membership_change_table.c.community_id == community_id
            )
        )
    ).scalar_one_or_none()
    if first_change is not None and first_change < created:
        created = first_change
    return created, first_day


async def content_engagement(
    session: AsyncSession, *, community_id: str, from_day: str, to_day: str
) -> list[tuple[str, str, int]]:
    """(content id, activity type, count) of activities naming content on days in
    [from_day, to_day)."""
    query = (
        select(
            content_day_table.c.content_id,
            content_day_table.c.activity_type,
            func.sum(content_day_table.c.count),
        )
        .where(
            content_day_table.c.community_id == community_id,
            content_day_table.c.day >= from_day,
            content_day_table.c.day < to_day,
        )
        .group_by(content_day_table.c.content_id, content_day_table.c.activity_type)
    )
    return [(str(c), str(t), int(n or 0)) for c, t, n in (await session.execute(query)).all()]


async def content_infos(
    session: AsyncSession, *, community_id: str, content_ids: Sequence[str]
) -> dict[str, RowMapping]:
    found: dict[str, RowMapping] = {}
    for part in ledger_repository.chunks(list(content_ids)):
        query = select(content_info_table).where(
            content_info_table.c.community_id == community_id,
            content_info_table.c.content_id.in_(list(part)),
        )
        for row in (await session.execute(query)).mappings():
            found[str(row["content_id"])] = row
    return found


async def events_between(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime, limit: int
) -> list[RowMapping]:
    query = (
        select(event_stat_table)
        .where(
            event_stat_table.c.community_id == community_id,
            event_stat_table.c.starts_at >= start,
            event_stat_table.c.starts_at < end,
        )
        .order_by(event_stat_table.c.starts_at, event_stat_table.c.event_id)
        .limit(limit)
    )
    return list((await session.execute(query)).mappings().all())


async def daily_active_counts(
    session: AsyncSession, *, community_id: str, from_day: str, to_day: str
) -> dict[str, int]:
    query = (
        select(daily_active_table.c.day, func.count())
        .where(
            daily_active_table.c.community_id == community_id,
            daily_active_table.c.day >= from_day,
            daily_active_table.c.day < to_day,
        )
        .group_by(daily_active_table.c.day)
    )
    return {str(day): int(n) for day, n in (await session.execute(query)).all()}


async def daily_type_totals(
    session: AsyncSession, *, community_id: str, from_day: str, to_day: str
) -> dict[str, int]:
    query = (
        select(daily_count_table.c.day, func.sum(daily_count_table.c.count))
        .where(
            daily_count_table.c.community_id == community_id,
            daily_count_table.c.day >= from_day,
            daily_count_table.c.day < to_day,
        )
        .group_by(daily_count_table.c.day)
    )
    return {str(day): int(n or 0) for day, n in (await session.execute(query)).all()}


async def segment_distribution(session: AsyncSession, *, community_id: str) -> dict[str, int]:
    query = (
        select(score_table.c.segment, func.count())
        .where(score_table.c.community_id == community_id)
        .group_by(score_table.c.segment)
    )
    return {str(s): int(n) for s, n in (await session.execute(query)).all()}


async def segment_moves(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime
) -> list[tuple[str, str, int]]:
    table = segment_move_table
    query = (
        select(table.c.previous_segment, table.c.segment, func.count())
        .where(
            table.c.community_id == community_id,
            table.c.changed_at >= start,
            table.c.changed_at < end,
        )
        .group_by(table.c.previous_segment, table.c.segment)
    )
    return [(str(a), str(b), int(n)) for a, b, n in (await session.execute(query)).all()]


async def tier_moves(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime
) -> list[tuple[str, str, str, int]]:
    table = tier_move_table
    query = (
        select(table.c.reason, table.c.from_tier_id, table.c.to_tier_id, func.count())
        .where(
            table.c.community_id == community_id,
            table.c.changed_at >= start,
            table.c.changed_at < end,
        )
        .group_by(table.c.reason, table.c.from_tier_id, table.c.to_tier_id)
    )
    return [(str(r), str(a), str(b), int(n)) for r, a, b, n in (await session.execute(query)).all()]


async def alerts_between(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime
) -> list[RowMapping]:
    query = (
        select(alert_table)
        .where(
            alert_table.c.community_id == community_id,
            alert_table.c.raised_at >= start,
            alert_table.c.raised_at < end,
        )
        .order_by(alert_table.c.raised_at)
    )
    return list((await session.execute(query)).mappings().all())


async def moderation_counts(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime
) -> dict[str, int]:
    """Reports filed and sanctions issued in [start, end), from the early warnings' hourly
    counts (whole UTC hours: a period starting off the hour takes the hours it starts in)."""
    table = SignalHour.__table__  # type: ignore[attr-defined]
    query = (
        select(table.c.kind, func.sum(table.c.count))
        .where(
            table.c.community_id == community_id,
            table.c.hour >= start.replace(minute=0, second=0, microsecond=0),
            table.c.hour < end,
        )
        .group_by(table.c.kind)
    )
    return {str(kind): int(n or 0) for kind, n in (await session.execute(query)).all()}


# --- stored reports ----------------------------------------------------------------------


async def get_report(session: AsyncSession, *, community_id: str, period: str) -> RowMapping | None:
    query = select(report_table).where(
        report_table.c.community_id == community_id, report_table.c.period == period
    )
    return (await session.execute(query)).mappings().one_or_none()


async def claim_report(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store a report unless one of its period is stored: True if this call stored it."""
    return await insert_if_absent(session, report_table, values)


async def replace_report(session: AsyncSession, values: dict[str, Any]) -> None:
    if not await insert_if_absent(session, report_table, values):
        await session.execute(
            update(report_table)
            .where(
                report_table.c.community_id == values["community_id"],
                report_table.c.period == values["period"],
            )
            .values(built_at=values["built_at"], body=values["body"])
        )


async def stored_periods(session: AsyncSession, *, community_id: str) -> set[str]:
    query = select(report_table.c.period).where(report_table.c.community_id == community_id)
    return {str(p) for p in (await session.execute(query)).scalars()}


async def list_reports(
    session: AsyncSession, *, community_id: str, after: str | None, limit: int
) -> list[RowMapping]:
    query = select(
        report_table.c.community_id,
        report_table.c.period,
        report_table.c.kind,
        report_table.c.starts_on,
        report_table.c.ends_on,
        report_table.c.built_at,
    ).where(report_table.c.community_id == community_id)
    if after is not None:
        query = query.where(report_table.c.period > after)
    query = query.order_by(report_table.c.period).limit(limit)
    return list((await session.execute(query)).mappings().all())
