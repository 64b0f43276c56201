"""Every query the scoring service makes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import UtcDateTime
from services.common.db_ops import insert_if_absent
from services.scoring.storage.tables import (
    ActivityReceipt,
    CommunityTally,
    LedgerEntry,
    MemberScore,
    membership,
)

receipt_table = ActivityReceipt.__table__  # type: ignore[attr-defined]
ledger_table = LedgerEntry.__table__  # type: ignore[attr-defined]
score_table = MemberScore.__table__  # type: ignore[attr-defined]
# Display names come from the membership projection.
profile_table = membership.membership
tally_table = CommunityTally.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class BoardRow:
    member_id: str
    display_name: str | None
    score_milli: int


async def add_receipt(
    session: AsyncSession, *, activity_id: str, community_id: str, received_at: datetime
) -> bool:
    """Record an activity id in its community; False if it was received there before (or
    earlier in this batch)."""
    return await insert_if_absent(
        session,
        receipt_table,
        {"activity_id": activity_id, "community_id": community_id, "received_at": received_at},
    )


async def received_before(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of these (community id, activity id) pairs have a receipt already."""
    query = select(receipt_table.c.community_id, receipt_table.c.activity_id).where(
        receipt_table.c.activity_id.in_({activity_id for _, activity_id in keys}),
        receipt_table.c.community_id.in_({community_id for community_id, _ in keys}),
    )
    found = {(row.community_id, row.activity_id) for row in await session.execute(query)}
    # The two IN lists also match pairs that were not asked about; they do no harm.
    return found & set(keys)


async def add_ledger_entry(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a ledger entry; False if its activity is in the ledger already."""
    return await insert_if_absent(session, ledger_table, values)


async def add_to_member_score(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: str,
    points_milli: int,
    occurred_at: datetime,
) -> None:
    """Add one activity to a member's running total, atomically in the database."""
    await insert_if_absent(
        session,
        score_table,
        {
            "community_id": community_id,
            "member_id": member_id,
            "score_milli": 0,
            "activity_count": 0,
            "last_active_at": None,
        },
    )
    last = score_table.c.last_active_at
    occurred = literal(occurred_at, UtcDateTime())
    await session.execute(
        update(score_table)
        .where(
            score_table.c.community_id == community_id,
            score_table.c.member_id == member_id,
        )
        .values(
            score_milli=score_table.c.score_milli + points_milli,
            activity_count=score_table.c.activity_count + 1,
            # Activities may arrive out of order; the latest occurrence wins, not the last one seen.
            last_active_at=case((or_(last.is_(None), last < occurred), occurred), else_=last),
        )
    )


async def all_time_board(
    session: AsyncSession, *, community_id: str, limit: int
) -> Sequence[BoardRow]:
    query = (
        select(score_table.c.member_id, profile_table.c.display_name, score_table.c.score_milli)
        .select_from(
            score_table.outerjoin(
                profile_table,
                and_(
                    profile_table.c.community_id == score_table.c.community_id,
                    profile_table.c.member_id == score_table.c.member_id,
                ),
            )
        )
        .where(score_table.c.community_id == community_id)
        .order_by(score_table.c.score_milli.desc(), score_table.c.member_id.asc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [BoardRow(row.member_id, row.display_name, row.score_milli) for row in rows]


async def board_since(
    session: AsyncSession, *, community_id: str, since: datetime, limit: int
) -> Sequence[BoardRow]:
    """Members ranked by the points of the activities that occurred since `since`."""
    total = func.sum(ledger_table.c.points_milli).label("total")
    totals = (
        select(ledger_table.c.member_id, total)
        .where(ledger_table.c.community_id == community_id, ledger_table.c.occurred_at >= since)
        .group_by(ledger_table.c.member_id)
        .subquery()
    )
    query = (
        select(totals.c.member_id, profile_table.c.display_name, totals.c.total)
        .select_from(
            totals.outerjoin(
                profile_table,
                and_(
                    profile_table.c.community_id == community_id,
                    profile_table.c.member_id == totals.c.member_id,
                ),
            )
        )
        .order_by(totals.c.total.desc(), totals.c.member_id.asc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [BoardRow(row.member_id, row.display_name, int(row.total)) for row in rows]


async def get_member_score(
    session: AsyncSession, *, community_id: str, member_id: str
) -> MemberScore | None:
    return await session.get(MemberScore, (community_id, member_id))


async def get_display_name(
    session: AsyncSession, *, community_id: str, member_id: str
) -> str | None:
    """The member's display name; None if the membership projection does not know them."""
    query = select(profile_table.c.display_name).where(
        profile_table.c.community_id == community_id, profile_table.c.member_id == member_id
    )
    name: str | None = (await session.execute(query)).scalar_one_or_none()
    return name


async def count_ranked_ahead(
    session: AsyncSession, *, community_id: str, member_id: str, score_milli: int
) -> int:
    """How many members of the community stand before this one on the all-time board."""
    query = (
        select(func.count())
        .select_from(score_table)
        .where(
            score_table.c.community_id == community_id,
            or_(
                score_table.c.score_milli > score_milli,
                and_(
                    score_table.c.score_milli == score_milli,
                    score_table.c.member_id < member_id,
                ),
            ),
        )
    )
    return int((await session.execute(query)).scalar_one())


async def count_member_joined(session: AsyncSession, *, community_id: str) -> None:
    await insert_if_absent(
        session, tally_table, {"community_id": community_id, "members_joined": 0}
    )
    await session.execute(
        update(tally_table)
        .where(tally_table.c.community_id == community_id)
        .values(members_joined=tally_table.c.members_joined + 1)
    )
