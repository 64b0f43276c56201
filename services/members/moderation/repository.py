"""Queries of chat moderation: the rules row, checked messages, and the members they are from."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import ChatVerdict, Community, Membership, ModerationSettings

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


@dataclass(frozen=True)
class CheckContext:
    """What a check reads before judging, in one statement: the community, the caller's own
    membership and the senders' (`memberships`, by id), the version of the rules, and for a
    single message its sender's messages in the flood window (`flood_count`)."""

    community: Community | None
    memberships: dict[str, Membership]
    rules_version: datetime | None
    flood_count: int


@dataclass(frozen=True)
class FloodWindow:
    member_id: str
    after: datetime
    until: datetime


async def check_context(
    session: AsyncSession,
    *,
    community_id: str,
    user_id: str,
    member_ids: Iterable[str],
    flood: FloodWindow | None,
) -> CheckContext:
    """One round trip instead of five (community, caller, senders, rules version, flood
    count): on SQLite through aiosqlite each statement costs several thread hops, which were
    most of a single message's time."""
    flood_count: Any
    if flood is None:
        flood_count = literal(0)
    else:
        flood_count = (
            select(func.count())
            .where(
                col(ChatVerdict.community_id) == community_id,
                col(ChatVerdict.member_id) == flood.member_id,
                col(ChatVerdict.sent_at) > flood.after,
                col(ChatVerdict.sent_at) <= flood.until,
            )
            .scalar_subquery()
        )
    query = (
        select(Community, Membership, col(ModerationSettings.updated_at), flood_count)
        .select_from(Community)
        .outerjoin(
            Membership,
            and_(
                col(Membership.community_id) == col(Community.id),
                or_(
                    col(Membership.user_id) == user_id,
                    col(Membership.id).in_(sorted(member_ids)),
                ),
            ),
        )
        .outerjoin(ModerationSettings, col(ModerationSettings.community_id) == col(Community.id))
        .where(col(Community.id) == community_id)
    )
    rows = (await session.execute(query)).all()
    if not rows:
        return CheckContext(None, {}, None, 0)
    found = {row[1].id: row[1] for row in rows if row[1] is not None}
    return CheckContext(rows[0][0], found, rows[0][2], int(rows[0][3] or 0))


async def claim(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Record the messages' verdicts, in one statement, but for messages checked already; the
    ids of those this call recorded. On PostgreSQL a concurrent check of the same message waits
    on the key, then finds it taken. The rows go as executemany parameters (SQLAlchemy's
    "insertmanyvalues" batches them into one INSERT … RETURNING): a statement with the rows
    inlined as VALUES is compiled afresh on every call, which cost more than the insert."""
    if not rows:
        return set()
    insert: Any = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    statement = insert(CHAT_VERDICT).on_conflict_do_nothing().returning(CHAT_VERDICT.c.message_id)
    if len(rows) == 1:
        return set((await session.execute(statement.values(rows[0]))).scalars().all())
    return set((await session.execute(statement, rows)).scalars().all())


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
