"""Queries of chat moderation: the rules row, checked messages, and the members they are from."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.db_ops import insert_many_if_absent
from services.members.tables import ChatVerdict, Membership, ModerationSettings

CHAT_VERDICT: Table = ChatVerdict.__table__  # type: ignore[attr-defined]


async def get_settings(session: AsyncSession, community_id: str) -> ModerationSettings | None:
    return await session.get(ModerationSettings, community_id)


async def save_settings(session: AsyncSession, row: ModerationSettings) -> None:
    await session.merge(row)


async def verdicts(
    session: AsyncSession, *, community_id: str, message_ids: Sequence[str]
) -> dict[str, ChatVerdict]:
    query = select(ChatVerdict).where(
        col(ChatVerdict.community_id) == community_id,
        col(ChatVerdict.message_id).in_(list(message_ids)),
    )
    rows = (await session.execute(query)).scalars().all()
    return {row.message_id: row for row in rows}


async def memberships(
    session: AsyncSession, *, community_id: str, member_ids: Iterable[str]
) -> dict[str, Membership]:
    query = select(Membership).where(
        col(Membership.community_id) == community_id, col(Membership.id).in_(sorted(member_ids))
    )
    rows = (await session.execute(query)).scalars().all()
    return {row.id: row for row in rows}


async def sent_times(
    session: AsyncSession,
    *,
    community_id: str,
    member_ids: Iterable[str],
    since: datetime,
    until: datetime,
) -> Sequence[tuple[str, str, datetime]]:
    """(member id, message id, sent at) of the members' messages checked in this span: what
    the flood rule counts."""
    query = select(
        col(ChatVerdict.member_id), col(ChatVerdict.message_id), col(ChatVerdict.sent_at)
    ).where(
        col(ChatVerdict.community_id) == community_id,
        col(ChatVerdict.member_id).in_(sorted(member_ids)),
        col(ChatVerdict.sent_at) >= since,
        col(ChatVerdict.sent_at) <= until,
    )
    return [(row[0], row[1], row[2]) for row in (await session.execute(query)).all()]


async def count_sent(
    session: AsyncSession, *, community_id: str, member_id: str, after: datetime, until: datetime
) -> int:
    """How many of the member's checked messages were sent in (after, until]."""
    query = select(func.count()).where(
        col(ChatVerdict.community_id) == community_id,
        col(ChatVerdict.member_id) == member_id,
        col(ChatVerdict.sent_at) > after,
        col(ChatVerdict.sent_at) <= until,
    )
    return int((await session.execute(query)).scalar_one())


async def claim(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Record the messages' verdicts, in one statement, but for messages checked already; the
    ids of those this call recorded. On PostgreSQL a concurrent check of the same message waits
    on the key, then finds it taken."""
    return await insert_many_if_absent(session, CHAT_VERDICT, rows, returning="message_id")


async def set_sanction(
    session: AsyncSession, *, community_id: str, message_id: str, sanction_id: str
) -> None:
    query = (
        update(ChatVerdict)
        .where(
            col(ChatVerdict.community_id) == community_id,
            col(ChatVerdict.message_id) == message_id,
        )
        .values(sanction_id=sanction_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(query)
