"""The suggestion box's queries. A +1 is an insert the primary key makes unique and the count
moves with it by a relative UPDATE in the same transaction, so concurrent +1s neither double
nor lose one."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, and_, delete, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.content.suggestions.rules import SuggestionSort, SuggestionStatus
from services.content.tables import Suggestion, SuggestionVote

suggestion_table: Table = Suggestion.__table__  # type: ignore[attr-defined]
vote_table: Table = SuggestionVote.__table__  # type: ignore[attr-defined]


async def add_suggestion(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(suggestion_table).values(**values))


async def get_suggestion(
    session: AsyncSession, *, community_id: str, suggestion_id: str, for_update: bool = False
) -> RowMapping | None:
    query = select(suggestion_table).where(
        suggestion_table.c.community_id == community_id, suggestion_table.c.id == suggestion_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().one_or_none()


async def update_suggestion(
    session: AsyncSession, *, suggestion_id: str, values: dict[str, Any], only_if_status: str
) -> RowMapping | None:
    """Change a suggestion if its status is still `only_if_status` (a decision or another
    edit in between wins); the row as it now stands, or None."""
    result = await session.execute(
        update(suggestion_table)
        .where(
            suggestion_table.c.id == suggestion_id,
            suggestion_table.c.status == only_if_status,
        )
        .values(**values)
        .returning(*suggestion_table.c)
    )
    return result.mappings().one_or_none()


async def list_suggestions(
    session: AsyncSession,
    *,
    community_id: str,
    status: str | None,
    sort: SuggestionSort,
    after: RowMapping | None,
    limit: int,
) -> list[RowMapping]:
    """A page of a community's suggestions (withdrawn ones only when asked for by status),
    by votes (most first, then oldest) or newest first, after the cursor's suggestion."""
    table = suggestion_table
    query = select(table).where(table.c.community_id == community_id)
    if status is not None:
        query = query.where(table.c.status == status)
    else:
        query = query.where(table.c.status != SuggestionStatus.WITHDRAWN)
    if sort == SuggestionSort.VOTES:
        if after is not None:
            # The cursor's suggestion as it stands now: a page boundary follows its count.
            query = query.where(
                or_(
                    table.c.votes < after["votes"],
                    and_(table.c.votes == after["votes"], table.c.id > after["id"]),
                )
            )
        query = query.order_by(table.c.votes.desc(), table.c.id.asc())
    else:
        if after is not None:
            query = query.where(table.c.id < after["id"])
        query = query.order_by(table.c.id.desc())
    return list((await session.execute(query.limit(limit))).mappings().all())


async def voted_among(
    session: AsyncSession, *, member_id: str, suggestion_ids: Sequence[str]
) -> set[str]:
    """Which of these suggestions the member has +1'd."""
    if not suggestion_ids:
        return set()
    query = select(vote_table.c.suggestion_id).where(
        vote_table.c.member_id == member_id,
        vote_table.c.suggestion_id.in_(list(suggestion_ids)),
    )
    return set((await session.execute(query)).scalars().all())


async def add_vote(
    session: AsyncSession, *, suggestion_id: str, community_id: str, member_id: str, at: Any
) -> bool:
    """+1 once: False if the member had already."""
    added = await insert_if_absent(
        session,
        vote_table,
        {
            "suggestion_id": suggestion_id,
            "member_id": member_id,
            "community_id": community_id,
            "voted_at": at,
        },
    )
    if added:
        await _move_count(session, suggestion_id, +1)
    return added


async def remove_vote(session: AsyncSession, *, suggestion_id: str, member_id: str) -> bool:
    """Take a +1 back: False if there was none."""
    result = await session.execute(
        delete(vote_table).where(
            vote_table.c.suggestion_id == suggestion_id, vote_table.c.member_id == member_id
        )
    )
    removed = bool(result.rowcount)  # type: ignore[attr-defined]
    if removed:
        await _move_count(session, suggestion_id, -1)
    return removed


async def _move_count(session: AsyncSession, suggestion_id: str, delta: int) -> None:
    await session.execute(
        update(suggestion_table)
        .where(suggestion_table.c.id == suggestion_id)
        .values(votes=suggestion_table.c.votes + delta)
    )


async def anonymise(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: str,
    user_id: str,
    author_tombstone: str,
    vote_tombstone: str,
    user_tombstone: str,
) -> None:
    """Leave nothing naming an erased user on the community's suggestions: their own keep
    their text under a tombstone author, their +1s keep counting under a tombstone voter."""
    table = suggestion_table
    await session.execute(
        update(table)
        .where(table.c.community_id == community_id, table.c.author_member_id == member_id)
        .values(author_member_id=author_tombstone, author_erased=True)
    )
    await session.execute(
        update(table)
        .where(table.c.community_id == community_id, table.c.status_changed_by == user_id)
        .values(status_changed_by=user_tombstone)
    )
    await session.execute(
        update(vote_table)
        .where(vote_table.c.community_id == community_id, vote_table.c.member_id == member_id)
        .values(member_id=vote_tombstone)
    )
