"""The onboarding checklist's queries: the checklist, progress rows (locked when changed), the
lists staff read, and what the onboarding metrics count."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.common.membership.tables import BELONGING_STATUSES
from services.scoring.ledger.repository import chunks
from services.scoring.tables import (
    change_table,
    checklist_table,
    daily_active_table,
    profile_table,
    progress_table,
)


async def get_checklist(session: AsyncSession, community_id: str) -> Row[Any] | None:
    query = select(checklist_table).where(checklist_table.c.community_id == community_id)
    return (await session.execute(query)).first()


async def save_checklist(
    session: AsyncSession, *, community_id: str, steps: list[str], now: datetime
) -> None:
    values = {"community_id": community_id, "steps": steps, "updated_at": now}
    if not await insert_if_absent(session, checklist_table, values):
        await session.execute(
            update(checklist_table)
            .where(checklist_table.c.community_id == community_id)
            .values(steps=steps, updated_at=now)
        )


async def progress_of(
    session: AsyncSession, community_id: str, member_ids: Iterable[str]
) -> dict[str, Row[Any]]:
    """The progress rows of some members of a community, by member id (one query a chunk)."""
    found: dict[str, Row[Any]] = {}
    for part in chunks(sorted(set(member_ids))):
        query = select(progress_table).where(
            progress_table.c.community_id == community_id,
            progress_table.c.member_id.in_(list(part)),
        )
        for row in (await session.execute(query)).all():
            found[row.member_id] = row
    return found


async def lock_progress(session: AsyncSession, *, community_id: str, member_id: str) -> Row[Any]:
    """The member's progress row, created if missing, locked until the transaction ends: the
    ledger and the members-events consumer may record steps of one member at once, and only a
    locked read lets exactly one of them see the checklist complete (SQLite serializes writers
    anyway)."""
    await insert_if_absent(
        session, progress_table, {"community_id": community_id, "member_id": member_id}
    )
    query = (
        select(progress_table)
        .where(
            progress_table.c.community_id == community_id,
            progress_table.c.member_id == member_id,
        )
        .with_for_update()
    )
    return (await session.execute(query)).one()


async def set_progress(
    session: AsyncSession, *, community_id: str, member_id: str, values: dict[str, Any]
) -> None:
    await session.execute(
        update(progress_table)
        .where(
            progress_table.c.community_id == community_id,
            progress_table.c.member_id == member_id,
        )
        .values(**values)
    )


async def not_yet_onboarded(session: AsyncSession, community_id: str) -> Sequence[Row[Any]]:
    """Progress rows of belonging members not onboarded yet (what a changed checklist may
    complete)."""
    query = (
        select(progress_table)
        .join(
            profile_table,
            and_(
                profile_table.c.community_id == progress_table.c.community_id,
                profile_table.c.member_id == progress_table.c.member_id,
            ),
        )
        .where(
            progress_table.c.community_id == community_id,
            progress_table.c.onboarded_at.is_(None),
            profile_table.c.status.in_(sorted(BELONGING_STATUSES)),
        )
    )
    return (await session.execute(query)).all()


def _members_with_progress(community_id: str) -> Any:
    joined = profile_table.outerjoin(
        progress_table,
        and_(
            progress_table.c.community_id == profile_table.c.community_id,
            progress_table.c.member_id == profile_table.c.member_id,
        ),
    )
    step_columns = [
        column for column in progress_table.c if column.name not in {"community_id", "member_id"}
    ]
    return (
        select(
            profile_table.c.member_id,
            profile_table.c.display_name,
            profile_table.c.joined_at,
            profile_table.c.status,
            *step_columns,
        )
        .select_from(joined)
        .where(profile_table.c.community_id == community_id)
    )


async def list_progress(
    session: AsyncSession,
    *,
    community_id: str,
    onboarded: bool | None,
    after_member_id: str | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Belonging members with their progress (none yet reads as nothing done), by member id."""
    query = _members_with_progress(community_id).where(
        profile_table.c.status.in_(sorted(BELONGING_STATUSES))
    )
    if onboarded is True:
        query = query.where(progress_table.c.onboarded_at.is_not(None))
    elif onboarded is False:
        query = query.where(progress_table.c.onboarded_at.is_(None))
    if after_member_id is not None:
        query = query.where(profile_table.c.member_id > after_member_id)
    query = query.order_by(profile_table.c.member_id).limit(limit)
    return (await session.execute(query)).all()


async def member_progress(
    session: AsyncSession, *, community_id: str, member_id: str
) -> Row[Any] | None:
    query = _members_with_progress(community_id).where(profile_table.c.member_id == member_id)
    return (await session.execute(query)).first()


async def joins_between(
    session: AsyncSession, *, community_id: str, start: datetime, end: datetime
) -> dict[str, datetime]:
    """Members whose (first) join falls in [start, end), with when they joined."""
    query = (
        select(change_table.c.member_id, func.min(change_table.c.occurred_at))
        .where(
            change_table.c.community_id == community_id,
            change_table.c.kind == "joined",
            change_table.c.occurred_at >= start,
            change_table.c.occurred_at < end,
        )
        .group_by(change_table.c.member_id)
    )
    return {str(member): at for member, at in (await session.execute(query)).all()}


async def onboarded_times(
    session: AsyncSession, *, community_id: str, member_ids: Sequence[str]
) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for part in chunks(list(member_ids)):
        query = select(progress_table.c.member_id, progress_table.c.onboarded_at).where(
            progress_table.c.community_id == community_id,
            progress_table.c.member_id.in_(list(part)),
            progress_table.c.onboarded_at.is_not(None),
        )
        found.update({str(m): at for m, at in (await session.execute(query)).all()})
    return found


async def active_days(
    session: AsyncSession,
    *,
    community_id: str,
    member_ids: Sequence[str],
    from_day: str,
    to_day: str,
) -> dict[str, set[str]]:
    """The local days (ISO text) in [from_day, to_day] each member was active on."""
    found: dict[str, set[str]] = {}
    for part in chunks(list(member_ids)):
        query = select(daily_active_table.c.member_id, daily_active_table.c.day).where(
            daily_active_table.c.community_id == community_id,
            daily_active_table.c.member_id.in_(list(part)),
            daily_active_table.c.day >= from_day,
            daily_active_table.c.day <= to_day,
        )
        for member, day in (await session.execute(query)).all():
            found.setdefault(str(member), set()).add(str(day))
    return found
