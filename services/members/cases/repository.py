"""Queries of reports and cases."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.db_ops import insert_if_absent
from services.members.cases.rules import CaseStatus
from services.members.tables import CaseNote, CaseReport, ChatVerdict, ModerationCase

MODERATION_CASE: Table = ModerationCase.__table__  # type: ignore[attr-defined]


async def reports_since(
    session: AsyncSession, *, community_id: str, reporter_member_id: str, since: datetime
) -> int:
    query = select(func.count()).where(
        col(CaseReport.community_id) == community_id,
        col(CaseReport.reporter_member_id) == reporter_member_id,
        col(CaseReport.filed_at) >= since,
    )
    return int((await session.execute(query)).scalar_one())


async def open_case(
    session: AsyncSession, *, community_id: str, target_type: str, target_id: str
) -> ModerationCase | None:
    query = select(ModerationCase).where(
        col(ModerationCase.community_id) == community_id,
        col(ModerationCase.target_type) == target_type,
        col(ModerationCase.target_id) == target_id,
        col(ModerationCase.status) != CaseStatus.RESOLVED,
    )
    return (await session.execute(query)).scalars().first()


async def open_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Open a case unless one on the target is open already (the partial unique index)."""
    return await insert_if_absent(session, MODERATION_CASE, values)


async def reported_by(session: AsyncSession, *, case_id: str, reporter_member_id: str) -> bool:
    query = select(col(CaseReport.id)).where(
        col(CaseReport.case_id) == case_id,
        col(CaseReport.reporter_member_id) == reporter_member_id,
    )
    return (await session.execute(query.limit(1))).first() is not None


async def add(session: AsyncSession, row: CaseReport | CaseNote) -> None:
    session.add(row)
    await session.flush()


async def count_report(session: AsyncSession, case: ModerationCase, parties: list[str]) -> None:
    query = (
        update(ModerationCase)
        .where(col(ModerationCase.id) == case.id)
        .values(report_count=col(ModerationCase.report_count) + 1, parties=parties)
        .execution_options(synchronize_session=False)
    )
    await session.execute(query)


async def get_case(
    session: AsyncSession, *, community_id: str, case_id: str, for_update: bool = False
) -> ModerationCase | None:
    query = select(ModerationCase).where(
        col(ModerationCase.id) == case_id, col(ModerationCase.community_id) == community_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalars().first()


async def list_cases(
    session: AsyncSession,
    *,
    community_id: str,
    status: str | None,
    kind: str | None,
    assignee_member_id: str | None,
    after_id: str | None,
    limit: int,
) -> Sequence[ModerationCase]:
    query: Any = (
        select(ModerationCase)
        .where(col(ModerationCase.community_id) == community_id)
        .order_by(col(ModerationCase.id))
        .limit(limit)
    )
    if status is not None:
        query = query.where(col(ModerationCase.status) == status)
    if kind is not None:
        query = query.where(col(ModerationCase.kind) == kind)
    if assignee_member_id is not None:
        query = query.where(col(ModerationCase.assignee_member_id) == assignee_member_id)
    if after_id is not None:
        query = query.where(col(ModerationCase.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def reports_of(session: AsyncSession, case_id: str) -> Sequence[CaseReport]:
    query = select(CaseReport).where(col(CaseReport.case_id) == case_id)
    return (await session.execute(query.order_by(col(CaseReport.id)))).scalars().all()


async def notes_of(session: AsyncSession, case_id: str) -> Sequence[CaseNote]:
    query = select(CaseNote).where(col(CaseNote.case_id) == case_id)
    return (await session.execute(query.order_by(col(CaseNote.id)))).scalars().all()


async def message_sender(
    session: AsyncSession, *, community_id: str, message_id: str
) -> str | None:
    """The sender of a chat message moderation has checked in this community, if it has."""
    query = select(col(ChatVerdict.member_id)).where(
        col(ChatVerdict.community_id) == community_id, col(ChatVerdict.message_id) == message_id
    )
    return (await session.execute(query)).scalars().first()
