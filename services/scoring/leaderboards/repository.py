"""The leaderboards' queries: a board's top, a member's standing, rank and the board's size."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, Table, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.leaderboards import rules
from services.scoring.tables import board_table, bucket_table, profile_table


@dataclass(frozen=True)
class BoardRow:
    member_id: str
    display_name: str | None
    score_milli: int


# The board statements are built once, with the board and the member as parameters: building
# a select (columns, joins, an alias's column proxies) and its cache key on every request cost
# about as much as running it.
BOARD_COLUMNS = ("community_id", "period", "period_start", "scope")


def _on_board(table: Table) -> Any:
    """One board's rows of `table` (its entries, or its buckets)."""
    return and_(*(table.c[name] == bindparam(name) for name in BOARD_COLUMNS))


_names = profile_table.alias("names")


# A board's rows, each joined to its member's name by the projection's unique
# (community, member) index.
_named_rows = (
    select(board_table.c.member_id, _names.c.display_name, board_table.c.score_milli)
    .select_from(
        board_table.outerjoin(
            _names,
            and_(
                _names.c.community_id == board_table.c.community_id,
                _names.c.member_id == board_table.c.member_id,
            ),
        )
    )
    .where(_on_board(board_table))
)


# The top: a range scan of the board's index in board order, names joined, one statement (a
# second one naming the members in an IN list cost another round trip).
_TOP = (
    _named_rows.where(board_table.c.score_milli > 0)
    .order_by(board_table.c.score_milli.desc(), board_table.c.member_id.asc())
    .limit(bindparam("limit", type_=Integer))
)


_STANDING = _named_rows.where(board_table.c.member_id == bindparam("member_id"))


def _count_entries(*conditions: Any) -> Any:
    return (
        select(func.count())
        .select_from(board_table)
        .where(_on_board(board_table), *conditions)
        .scalar_subquery()
    )


_SCORE = bindparam("score_milli", type_=BigInteger)


_TIED = _count_entries(
    board_table.c.score_milli == _SCORE, board_table.c.member_id < bindparam("member_id")
)


_BUCKETS_ABOVE = (
    select(func.coalesce(func.sum(bucket_table.c.members), 0))
    .where(_on_board(bucket_table), bucket_table.c.bucket > bindparam("bucket", type_=Integer))
    .scalar_subquery()
)


# Ahead of a member: the higher scores (on an all-time board, those in the buckets above the
# member's and those inside it), then equal scores with a smaller member id.
_RANK_COUNTED = select(_count_entries(board_table.c.score_milli > _SCORE) + _TIED)


_RANK_BUCKETED = select(
    _BUCKETS_ABOVE
    + _count_entries(
        board_table.c.score_milli > _SCORE,
        board_table.c.score_milli < bindparam("bucket_top", type_=BigInteger),
    )
    + _TIED
)


_SIZE_COUNTED = select(func.count()).where(_on_board(board_table), board_table.c.score_milli > 0)


_SIZE_BUCKETED = select(func.coalesce(func.sum(bucket_table.c.members), 0)).where(
    _on_board(bucket_table)
)


def _board(community_id: str, period: str, period_start: str, scope: str) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "period": period,
        "period_start": period_start,
        "scope": scope,
    }


async def board_top(
    session: AsyncSession,
    *,
    community_id: str,
    period: str,
    period_start: str,
    scope: str,
    limit: int,
) -> Sequence[BoardRow]:
    board = _board(community_id, period, period_start, scope)
    rows = (await session.execute(_TOP, {**board, "limit": limit})).all()
    return [BoardRow(row.member_id, row.display_name, row.score_milli) for row in rows]


async def board_standing(
    session: AsyncSession,
    *,
    community_id: str,
    period: str,
    period_start: str,
    scope: str,
    member_id: str,
) -> BoardRow | None:
    """A member's row on a board with their name, one statement (None: not on it)."""
    board = _board(community_id, period, period_start, scope)
    row = (await session.execute(_STANDING, {**board, "member_id": member_id})).first()
    return None if row is None else BoardRow(row.member_id, row.display_name, row.score_milli)


async def board_rank(
    session: AsyncSession,
    *,
    community_id: str,
    period: str,
    period_start: str,
    scope: str,
    member_id: str,
    score_milli: int,
) -> int:
    """A member's rank on a board, one statement. On an all-time board the higher scores
    outside the member's bucket are the sums of the buckets above it, so the cost is bounded by
    the bucket, not by the rank (leaderboards/rules.py); on a period's board they are a count over
    its index."""
    params = {
        **_board(community_id, period, period_start, scope),
        "member_id": member_id,
        "score_milli": score_milli,
    }
    statement = _RANK_COUNTED
    if period == rules.BUCKETED:
        bucket = rules.bucket_of(score_milli)
        params.update(bucket=bucket, bucket_top=rules.bucket_bounds(bucket)[1])
        statement = _RANK_BUCKETED
    return int((await session.execute(statement, params)).scalar_one()) + 1


async def board_size(
    session: AsyncSession, *, community_id: str, period: str, period_start: str, scope: str
) -> int:
    """How many members have points on a board (on an all-time board, the sum of its
    buckets)."""
    statement = _SIZE_BUCKETED if period == rules.BUCKETED else _SIZE_COUNTED
    board = _board(community_id, period, period_start, scope)
    return int((await session.execute(statement, board)).scalar_one())
