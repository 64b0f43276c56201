"""Every query the scoring service makes."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db_ops import insert_if_absent
from services.scoring.domain import rules as scoring_rules
from services.scoring.storage import batches, ranks
from services.scoring.storage.tables import (
    ActivityReceipt,
    CommunityTally,
    HalfLifeChange,
    HealthAlert,
    LedgerEntry,
    MemberScore,
    MembershipChange,
    PeriodClose,
    PointsAdjustment,
    ScoringRules,
    membership,
)

receipt_table = ActivityReceipt.__table__  # type: ignore[attr-defined]
ledger_table = LedgerEntry.__table__  # type: ignore[attr-defined]
score_table = MemberScore.__table__  # type: ignore[attr-defined]
# Display names come from the membership projection.
profile_table = membership.membership
tally_table = CommunityTally.__table__  # type: ignore[attr-defined]
change_table = MembershipChange.__table__  # type: ignore[attr-defined]
rules_table = ScoringRules.__table__  # type: ignore[attr-defined]
half_life_table = HalfLifeChange.__table__  # type: ignore[attr-defined]
adjustment_table = PointsAdjustment.__table__  # type: ignore[attr-defined]
close_table = PeriodClose.__table__  # type: ignore[attr-defined]
alert_table = HealthAlert.__table__  # type: ignore[attr-defined]
board_table = batches.board_table
bucket_table = batches.bucket_table
key_bucket_table = batches.key_bucket_table
type_table = batches.type_table
badge_table = batches.badge_table
daily_active_table = batches.daily_active_table
daily_count_table = batches.daily_count_table
community_table = membership.community


@dataclass(frozen=True)
class BoardRow:
    member_id: str
    display_name: str | None
    score_milli: int


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


async def record_membership_changes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Remember joins and departures for the metrics; count joins in the tally."""
    await batches.insert_ignoring_duplicates(session, change_table, rows)
    joined: dict[str, int] = {}
    for row in rows:
        if row["kind"] == "joined":
            joined[str(row["community_id"])] = joined.get(str(row["community_id"]), 0) + 1
    await batches.upsert(
        session,
        tally_table,
        [{"community_id": cid, "members_joined": n} for cid, n in sorted(joined.items())],
        keys=("community_id",),
        add=("members_joined",),
    )


def new_score_row(
    community_id: str, member_id: str, half_life_days: float = 14.0
) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "member_id": member_id,
        "score_milli": 0,
        "activity_count": 0,
        "last_active_at": None,
        "engagement_key": -1.0e300,
        "half_life_days": half_life_days,
        "points_milli": 0,
        "level_milli": 0,
        "level": 1,
        "segment": "silent",
        "was_top_quarter": False,
    }


async def accept_receipts(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> set[tuple[str, str]]:
    """Insert receipts; the (community, activity id) pairs this call inserted (the others
    were received before, by an earlier or a concurrent request)."""
    if not rows:
        return set()
    # Rows as parameters of one cached statement (SQLAlchemy batches them into multi-row
    # INSERTs): a `.values(rows)` statement is compiled anew for every request, which cost
    # more than the database's work (36 ms for 500 receipts on SQLite).
    statement = (
        batches.dialect_insert(session, receipt_table)
        .on_conflict_do_nothing()
        .returning(receipt_table.c.community_id, receipt_table.c.activity_id)
    )
    result = await session.execute(statement, list(rows))
    return {(row.community_id, row.activity_id) for row in result}


# --- leaderboards ------------------------------------------------------------------------------


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
    the bucket, not by the rank (storage/ranks.py); on a period's board they are a count over
    its index."""
    params = {
        **_board(community_id, period, period_start, scope),
        "member_id": member_id,
        "score_milli": score_milli,
    }
    statement = _RANK_COUNTED
    if period == ranks.BUCKETED:
        bucket = ranks.bucket_of(score_milli)
        params.update(bucket=bucket, bucket_top=ranks.bucket_bounds(bucket)[1])
        statement = _RANK_BUCKETED
    return int((await session.execute(statement, params)).scalar_one()) + 1


async def board_size(
    session: AsyncSession, *, community_id: str, period: str, period_start: str, scope: str
) -> int:
    """How many members have points on a board (on an all-time board, the sum of its
    buckets)."""
    statement = _SIZE_BUCKETED if period == ranks.BUCKETED else _SIZE_COUNTED
    board = _board(community_id, period, period_start, scope)
    return int((await session.execute(statement, board)).scalar_one())


async def get_community(session: AsyncSession, community_id: str) -> Any:
    query = select(community_table).where(community_table.c.id == community_id)
    return (await session.execute(query)).first()


async def engagement_rank(
    session: AsyncSession, *, community_id: str, member_id: str, key: float
) -> int:
    """Rank by the decaying engagement score, one statement: those ahead are the members with
    a higher key and those with an equal one and a smaller member id. Higher keys outside the
    member's bucket are the sums of the buckets above it (storage/ranks.py), so the cost is
    bounded by the bucket, not by the rank."""
    base = score_table.c.community_id == community_id
    buckets = [key_bucket_table.c.community_id == community_id]
    bucket = ranks.key_bucket_of(key)
    # No score: everyone with one is ahead, and all of them are in buckets.
    higher: Any = 0
    if bucket is not None:
        buckets.append(key_bucket_table.c.bucket > bucket)
        higher_keys = [score_table.c.engagement_key > key]
        high = ranks.key_bucket_bounds(bucket)[1]
        if high != math.inf:
            higher_keys.append(score_table.c.engagement_key < high)
        higher = (
            select(func.count())
            .select_from(score_table)
            .where(base, *higher_keys)
            .scalar_subquery()
        )
    above = (
        select(func.coalesce(func.sum(key_bucket_table.c.members), 0))
        .where(*buckets)
        .scalar_subquery()
    )
    tied = (
        select(func.count())
        .select_from(score_table)
        .where(base, score_table.c.engagement_key == key, score_table.c.member_id < member_id)
        .scalar_subquery()
    )
    return int((await session.execute(select(above + higher + tied))).scalar_one()) + 1


async def recount_engagement_buckets(session: AsyncSession, *, community_id: str) -> None:
    """Count a community's engagement buckets again from its members' keys (after a re-key
    moved them all). The old counts go first: on PostgreSQL that waits for a batch that moved
    members between them, so the keys read next include its; a batch's members added after
    the read land on the new counts, which are added to, not replaced."""
    await session.execute(
        delete(key_bucket_table).where(key_bucket_table.c.community_id == community_id)
    )
    keys = await session.execute(
        select(score_table.c.engagement_key).where(
            score_table.c.community_id == community_id,
            score_table.c.engagement_key > scoring_rules.NO_SCORE,
        )
    )
    await batches.add_to_engagement_buckets(
        session,
        ranks.key_bucket_changes(
            (community_id, scoring_rules.NO_SCORE, key) for key in keys.scalars()
        ),
    )


async def type_stats(session: AsyncSession, *, community_id: str, member_id: str) -> Sequence[Any]:
    query = (
        select(type_table)
        .where(type_table.c.community_id == community_id, type_table.c.member_id == member_id)
        .order_by(type_table.c.activity_type)
    )
    return (await session.execute(query)).all()


async def member_badges(
    session: AsyncSession, *, community_id: str, member_id: str
) -> Sequence[Any]:
    query = (
        select(badge_table.c.badge, badge_table.c.awarded_at)
        .where(badge_table.c.community_id == community_id, badge_table.c.member_id == member_id)
        .order_by(badge_table.c.awarded_at, badge_table.c.badge)
    )
    return (await session.execute(query)).all()


# --- rules -----------------------------------------------------------------------------------


async def get_rules_row(session: AsyncSession, community_id: str) -> Any:
    query = select(rules_table).where(rules_table.c.community_id == community_id)
    return (await session.execute(query.with_for_update())).first()


async def get_rules_row_for_read(session: AsyncSession, community_id: str) -> Any:
    query = select(rules_table).where(rules_table.c.community_id == community_id)
    return (await session.execute(query)).first()


async def save_rules(session: AsyncSession, values: dict[str, Any]) -> None:
    await batches.upsert(
        session,
        rules_table,
        [values],
        keys=("community_id",),
        replace=("weights", "cooldown_seconds", "daily_cap", "half_life_days", "updated_at"),
    )


async def rekey_community(
    session: AsyncSession, *, community_id: str, at: datetime, old: float, new: float
) -> None:
    """Move every member's engagement key to a new half-life, scores unchanged at `at`: one
    UPDATE when the rule changes, never a nightly rewrite; the arithmetic is
    `scoring_rules.rekey`'s, term for term, so a replay computes the same keys. The keys all
    move, so the community's engagement buckets are counted again."""
    old_term, new_term = scoring_rules.rekey_terms(at, old, new)
    key = score_table.c.engagement_key
    await session.execute(
        update(score_table)
        .where(score_table.c.community_id == community_id, key > scoring_rules.NO_SCORE)
        .values(engagement_key=key - literal(old_term) + literal(new_term))
    )
    await session.execute(
        update(score_table)
        .where(score_table.c.community_id == community_id)
        .values(half_life_days=new)
    )
    await recount_engagement_buckets(session, community_id=community_id)
    await batches.insert_rows(
        session,
        half_life_table,
        [{"community_id": community_id, "changed_at": at, "from_days": old, "to_days": new}],
    )


# --- points ----------------------------------------------------------------------------------


async def change_points(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: str,
    delta_milli: int,
    half_life_days: float,
) -> int | None:
    """Add `delta_milli` to the balance unless it would go below zero: one conditional
    UPDATE, so concurrent redemptions cannot overdraw. The new balance, or None if refused."""
    await insert_if_absent(
        session, score_table, new_score_row(community_id, member_id, half_life_days)
    )
    balance = score_table.c.points_milli
    level_points = score_table.c.level_milli
    result = await session.execute(
        update(score_table)
        .where(
            score_table.c.community_id == community_id,
            score_table.c.member_id == member_id,
            balance + delta_milli >= 0,
        )
        .values(
            points_milli=balance + delta_milli,
            level_milli=level_points + max(delta_milli, 0),
        )
        .returning(score_table.c.points_milli)
    )
    value = result.scalar_one_or_none()
    return None if value is None else int(value)


async def set_level(
    session: AsyncSession, *, community_id: str, member_id: str, level: int
) -> None:
    await session.execute(
        update(score_table)
        .where(score_table.c.community_id == community_id, score_table.c.member_id == member_id)
        .values(level=level)
    )


async def add_adjustment(session: AsyncSession, values: dict[str, Any]) -> None:
    await batches.insert_rows(session, adjustment_table, [values])


# --- erasure ---------------------------------------------------------------------------------


async def anonymise_member(
    session: AsyncSession, *, community_id: str, member_id: str, display_name: str, user_id: str
) -> None:
    """Drop what identifies a member (name, user id, free-form attrs); keep every count."""
    await session.execute(
        update(profile_table)
        .where(profile_table.c.community_id == community_id, profile_table.c.member_id == member_id)
        .values(display_name=display_name, user_id=user_id)
    )
    await session.execute(
        update(ledger_table)
        .where(ledger_table.c.community_id == community_id, ledger_table.c.member_id == member_id)
        .values(attrs={})
    )


# --- metrics -------------------------------------------------------------------------------------


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
    for part in batches.chunks(list(member_ids)):
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


# --- period close ------------------------------------------------------------------------------


async def all_communities(session: AsyncSession) -> Sequence[Any]:
    query = select(community_table.c.id, community_table.c.timezone, community_table.c.created_at)
    return (await session.execute(query)).all()


async def claim_period(
    session: AsyncSession, *, community_id: str, period: str, period_start: str, at: datetime
) -> bool:
    """Claim the closing of a period; False if it was closed (or is being closed) already."""
    return await insert_if_absent(
        session,
        close_table,
        {
            "community_id": community_id,
            "period": period,
            "period_start": period_start,
            "closed_at": at,
            "members_ranked": 0,
        },
    )


async def set_members_ranked(
    session: AsyncSession, *, community_id: str, period: str, period_start: str, count: int
) -> None:
    await session.execute(
        update(close_table)
        .where(
            close_table.c.community_id == community_id,
            close_table.c.period == period,
            close_table.c.period_start == period_start,
        )
        .values(members_ranked=count)
    )


async def raise_alert(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_if_absent(session, alert_table, values)
