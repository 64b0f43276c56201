"""The set-based queries a batch of activities needs: load its state in a few IN queries,
write it back in a few multi-row upserts, whatever the batch's size."""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.domain import rules
from services.scoring.domain.ledger import Fold, LedgerRow, ScoreState, TypeState
from services.scoring.storage.tables import (
    Badge,
    BoardEntry,
    DailyActive,
    DailyTypeCount,
    LedgerEntry,
    MemberScore,
    MemberTypeStat,
    ScoringRules,
    membership,
)

ledger_table: Table = LedgerEntry.__table__  # type: ignore[attr-defined]
score_table: Table = MemberScore.__table__  # type: ignore[attr-defined]
type_table: Table = MemberTypeStat.__table__  # type: ignore[attr-defined]
board_table: Table = BoardEntry.__table__  # type: ignore[attr-defined]
badge_table: Table = Badge.__table__  # type: ignore[attr-defined]
rules_table: Table = ScoringRules.__table__  # type: ignore[attr-defined]
daily_active_table: Table = DailyActive.__table__  # type: ignore[attr-defined]
daily_count_table: Table = DailyTypeCount.__table__  # type: ignore[attr-defined]

# Keeps an IN list's parameters well under SQLite's limit.
CHUNK = 400
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(dialect)  # pragma: no cover


async def upsert(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    replace: Iterable[str] = (),
    add: Iterable[str] = (),
) -> None:
    """Insert rows; for a key that exists, take `replace` columns from the row and add the
    row's `add` columns to the stored ones. One multi-row statement per chunk."""
    if not rows:
        return
    statement = dialect_insert(session, table)
    changes = {name: statement.excluded[name] for name in replace}
    changes.update({name: table.c[name] + statement.excluded[name] for name in add})
    statement = (
        statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
        if changes
        else statement.on_conflict_do_nothing(index_elements=list(keys))
    )
    for part in chunks(rows, 1000):
        await session.execute(statement, list(part))


async def insert_ignoring_duplicates(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    if rows:
        statement = dialect_insert(session, table).on_conflict_do_nothing()
        for part in chunks(rows, 1000):
            await session.execute(statement, list(part))


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for part in chunks(rows, 1000):
        await session.execute(insert(table), list(part))


async def posted_before(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which (community, activity id) pairs are in the ledger already."""
    found: set[tuple[str, str]] = set()
    for community_id, activity_ids in by_community(keys):
        query = select(ledger_table.c.community_id, ledger_table.c.activity_id).where(
            ledger_table.c.community_id == community_id,
            ledger_table.c.activity_id.in_(activity_ids),
        )
        found.update((row.community_id, row.activity_id) for row in await session.execute(query))
    return found


def by_community(pairs: Iterable[tuple[str, ...]]) -> Iterator[tuple[str, list[str]]]:
    """Pairs (community, x, …) grouped by community, the x's in chunks: each group is one
    `community_id = … AND x IN (…)` lookup in a composite index, matching nothing extra."""
    grouped: dict[str, set[str]] = {}
    for pair in pairs:
        grouped.setdefault(pair[0], set()).add(pair[1])
    for community_id in sorted(grouped):
        members = sorted(grouped[community_id])
        for part in chunks(members):
            yield community_id, list(part)


async def load_rules(session: AsyncSession, community_ids: Iterable[str]) -> dict[str, rules.Rules]:
    wanted = sorted(set(community_ids))
    found = dict.fromkeys(wanted, rules.DEFAULT_RULES)
    query = select(rules_table).where(rules_table.c.community_id.in_(wanted))
    for row in await session.execute(query):
        found[row.community_id] = rules.Rules(
            weights=row.weights,
            cooldown_seconds=row.cooldown_seconds,
            daily_cap=row.daily_cap,
            half_life_days=row.half_life_days,
        )
    return found


async def community_timezones(
    session: AsyncSession, community_ids: Iterable[str]
) -> dict[str, str]:
    community = membership.community
    query = select(community.c.id, community.c.timezone).where(
        community.c.id.in_(sorted(set(community_ids)))
    )
    return {row.id: row.timezone for row in await session.execute(query)}


async def member_tiers(
    session: AsyncSession, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str | None]:
    table = membership.membership
    found: dict[tuple[str, str], str | None] = {}
    for community_id, members in by_community(pairs):
        query = select(table.c.community_id, table.c.member_id, table.c.tier_id).where(
            table.c.community_id == community_id, table.c.member_id.in_(members)
        )
        for row in await session.execute(query):
            found[(row.community_id, row.member_id)] = row.tier_id
    return found


SCORE_COLUMNS = (
    "score_milli",
    "activity_count",
    "last_active_at",
    "engagement_key",
    "half_life_days",
    "points_milli",
    "level_milli",
    "level",
    "segment",
    "was_top_quarter",
)


async def load_scores(
    session: AsyncSession, pairs: Sequence[tuple[str, str]], *, lock: bool
) -> dict[tuple[str, str], ScoreState]:
    """Members' score rows; `lock` holds them (PostgreSQL) until the batch commits, so an
    award or a rules change cannot interleave with the batch's read-modify-write."""
    found: dict[tuple[str, str], ScoreState] = {}
    wanted = set(pairs)
    for community_id, members in by_community(wanted):
        query = select(score_table).where(
            score_table.c.community_id == community_id, score_table.c.member_id.in_(members)
        )
        if lock:
            query = query.with_for_update()
        for row in await session.execute(query):
            if (row.community_id, row.member_id) not in wanted:
                continue
            found[(row.community_id, row.member_id)] = ScoreState(
                row.community_id,
                row.member_id,
                **{name: row._mapping[name] for name in SCORE_COLUMNS},
            )
    return found


TYPE_COLUMNS = (
    "count",
    "points_milli",
    "capped",
    "cooled_down",
    "last_credited_at",
    "cap_day",
    "cap_day_count",
)


async def load_type_stats(
    session: AsyncSession, triples: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], TypeState]:
    found: dict[tuple[str, str, str], TypeState] = {}
    wanted = set(triples)
    for community_id, members in by_community(wanted):
        query = select(type_table).where(
            type_table.c.community_id == community_id, type_table.c.member_id.in_(members)
        )
        for row in await session.execute(query):
            if (row.community_id, row.member_id, row.activity_type) not in wanted:
                continue
            found[(row.community_id, row.member_id, row.activity_type)] = TypeState(
                **{name: row._mapping[name] for name in TYPE_COLUMNS}
            )
    return found


async def load_badges(
    session: AsyncSession, pairs: Sequence[tuple[str, str]]
) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    wanted = set(pairs)
    for community_id, members in by_community(wanted):
        query = select(
            badge_table.c.community_id, badge_table.c.member_id, badge_table.c.badge
        ).where(badge_table.c.community_id == community_id, badge_table.c.member_id.in_(members))
        found.update(
            (row.community_id, row.member_id, row.badge)
            for row in await session.execute(query)
            if (row.community_id, row.member_id) in wanted
        )
    return found


async def last_seq(session: AsyncSession) -> int:
    value = (await session.execute(select(func.max(ledger_table.c.seq)))).scalar_one_or_none()
    return int(value or 0)


async def write_fold(session: AsyncSession, fold: Fold, ledger_rows: Sequence[LedgerRow]) -> None:
    """Write what a batch changed: the ledger rows, then every measure, a statement each."""
    if ledger_rows:
        await session.execute(insert(ledger_table), [row.values() for row in ledger_rows])
    score_rows = [
        {
            "community_id": s.community_id,
            "member_id": s.member_id,
            "score_milli": s.added_score_milli,
            "activity_count": s.added_activity_count,
            "last_active_at": s.last_active_at,
            "engagement_key": s.engagement_key,
            "half_life_days": s.half_life_days,
            "points_milli": s.added_points_milli,
            "level_milli": s.added_level_milli,
            "level": s.level,
            "segment": s.segment,
            "was_top_quarter": s.was_top_quarter,
        }
        for s in fold.scores.values()
        if s.touched
    ]
    await upsert(
        session,
        score_table,
        score_rows,
        keys=("community_id", "member_id"),
        replace=("last_active_at", "engagement_key", "half_life_days", "level", "segment"),
        add=("score_milli", "activity_count", "points_milli", "level_milli"),
    )
    type_rows = [
        {
            "community_id": community_id,
            "member_id": member_id,
            "activity_type": activity_type,
            **{name: getattr(state, name) for name in TYPE_COLUMNS},
        }
        for (community_id, member_id, activity_type), state in fold.types.items()
        if state.touched
    ]
    await upsert(
        session,
        type_table,
        type_rows,
        keys=("community_id", "member_id", "activity_type"),
        replace=TYPE_COLUMNS,
    )
    board_rows = [
        {
            "community_id": community_id,
            "period": period,
            "period_start": start,
            "scope": scope,
            "member_id": member_id,
            "score_milli": added,
        }
        for (community_id, period, start, scope, member_id), added in fold.board_added.items()
    ]
    await upsert(
        session,
        board_table,
        board_rows,
        keys=("community_id", "period", "period_start", "scope", "member_id"),
        add=("score_milli",),
    )
    await insert_ignoring_duplicates(
        session,
        daily_active_table,
        [
            {"community_id": community_id, "day": day, "member_id": member_id}
            for community_id, day, member_id in sorted(fold.daily_active)
        ],
    )
    await upsert(
        session,
        daily_count_table,
        [
            {"community_id": c, "day": day, "activity_type": kind, "count": count}
            for (c, day, kind), count in fold.daily_counts.items()
        ],
        keys=("community_id", "day", "activity_type"),
        add=("count",),
    )
    await insert_ignoring_duplicates(
        session,
        badge_table,
        [
            {"community_id": c, "member_id": m, "badge": badge, "awarded_at": at}
            for c, m, badge, at in fold.new_badges
        ],
    )
