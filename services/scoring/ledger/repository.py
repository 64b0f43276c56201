"""The set-based queries a batch of activities needs: load its state in a few IN queries,
write it back in a few multi-row upserts, whatever the batch's size.
Also the bulk helpers every scoring repository writes with (upsert, insert_rows, select_keyed).
"""

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import chain
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import JSON, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.membership.tables import BELONGING_STATUSES
from services.scoring.leaderboards import rules as leaderboards_rules
from services.scoring.leaderboards.rules import COMMUNITY_SCOPE, BoardKey
from services.scoring.ledger.rules import Fold, LedgerRow, PastEntry, ScoreState, TypeState
from services.scoring.periods import rules as periods_rules
from services.scoring.scoring_rules import rules as scoring_rules
from services.scoring.tables import (
    badge_table,
    board_table,
    bucket_table,
    daily_active_table,
    daily_count_table,
    key_bucket_table,
    ledger_table,
    membership,
    rules_table,
    score_table,
    type_table,
)

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


_MISSING = object()


def _fills_defaults(table: Table, given: Iterable[str]) -> bool:
    """Whether SQLAlchemy would add values the rows leave out (a Python-side default)."""
    present = set(given)
    return any(
        col.name not in present and (col.default is not None or col.onupdate is not None)
        for col in table.columns
    )


def _bind_processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The column type's bind processor; for JSON, one that knows the text of `{}` (most
    ledger rows' attrs), which `json.dumps` would otherwise write again for every row."""
    process: Callable[[Any], Any] | None = column_type._cached_bind_processor(dialect)
    if process is None or not isinstance(column_type, JSON):
        return process
    serialize, empty = process, process({})

    def process_json(value: Any) -> Any:
        return empty if type(value) is dict and not value else serialize(value)

    return process_json


async def _execute_many(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    tail: str,
    *,
    keys: Sequence[str] = (),
) -> bool:
    """`INSERT INTO table (…) VALUES (…) <tail>` for every row, as the driver's executemany:
    SQLAlchemy's per-row parameter handling costs more than the database's work on a batch.
    Values go through the columns' own bind processors, so they are stored exactly as
    SQLAlchemy stores them. False (nothing done) when the rows need SQLAlchemy's defaults."""
    names = list(rows[0])
    if _fills_defaults(table, names):
        return False
    getter: Callable[[dict[str, Any]], tuple[Any, ...]] = (
        itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    )
    await _execute_values(session, table, names, list(map(getter, rows)), tail, keys=keys)
    return True


async def _execute_values(
    session: AsyncSession,
    table: Table,
    names: Sequence[str],
    params: list[tuple[Any, ...]],
    tail: str,
    *,
    keys: Sequence[str] = (),
    in_key_order: bool = False,
) -> None:
    """`_execute_many` for rows given as tuples in the order of `names` (no defaults filled);
    `in_key_order` when the caller sorted them by `keys` already."""
    connection = await session.connection()
    dialect = connection.dialect
    processors = [
        (index, process)
        for index, name in enumerate(names)
        if (process := _bind_processor(table.c[name].type, dialect)) is not None
    ]
    if processors:
        # A batch's rows share a few values (the instant it was recorded or processed, a
        # half-life): a value that is the very object the row before had is converted once.
        # By identity, not equality: hashing an aware datetime costs about what converting
        # it does.
        last_in: list[Any] = [_MISSING] * len(processors)
        last_out: list[Any] = [None] * len(processors)
        for position, row_values in enumerate(params):
            values = list(row_values)
            for slot, (index, process) in enumerate(processors):
                value = values[index]
                if value is last_in[slot]:
                    values[index] = last_out[slot]
                else:
                    last_in[slot] = value
                    values[index] = last_out[slot] = process(value)
            params[position] = tuple(values)
    key_of: Callable[[tuple[Any, ...]], Any] | None = None
    if keys:
        # In key order, each row's page is next to the last one's: SQLite's B-tree work for
        # a batch of upserts drops by about a third. The sort is stable: rows with one key
        # keep their order.
        key_of = itemgetter(*(names.index(name) for name in keys))
        if not in_key_order:
            params.sort(key=key_of)
    columns = ", ".join(names)
    # Identifiers and types come from the table's metadata, never from input; values are
    # parameters.
    if dialect.name == "postgresql" and (
        "DO UPDATE" not in tail
        or (key_of is not None and len(set(map(key_of, params))) == len(params))
    ):
        # One statement with a column array each: asyncpg's executemany is a round of the
        # protocol per row. One statement may not update a row twice: rows sharing a key
        # go row by row below.
        arrays = ", ".join(
            f"${index + 1}::{table.c[name].type.compile(dialect=dialect)}[]"
            for index, name in enumerate(names)
        )
        sql = f"INSERT INTO {table.name} ({columns}) SELECT * FROM unnest({arrays}) {tail}"  # noqa: S608
        await connection.exec_driver_sql(
            sql, tuple(list(column) for column in zip(*params, strict=True))
        )
        return
    if dialect.name == "postgresql":
        marks = ", ".join(f"${index + 1}" for index in range(len(names)))
    else:
        marks = ", ".join("?" * len(names))
    sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks}) {tail}"  # noqa: S608
    await connection.exec_driver_sql(sql, params)


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
    row's `add` columns to the stored ones. One executemany for the lot."""
    if not rows:
        return
    conflict = _on_conflict(table, keys, replace, add)
    if await _execute_many(session, table, rows, conflict, keys=keys):
        return
    statement = dialect_insert(session, table)
    updates = {name: statement.excluded[name] for name in replace}
    updates.update({name: table.c[name] + statement.excluded[name] for name in add})
    statement = (
        statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
        if updates
        else statement.on_conflict_do_nothing(index_elements=list(keys))
    )
    for part in chunks(rows, 1000):
        await session.execute(statement, list(part))


def _on_conflict(
    table: Table, keys: Sequence[str], replace: Iterable[str], add: Iterable[str]
) -> str:
    changes = [f"{name} = excluded.{name}" for name in replace]
    changes += [f"{name} = {table.name}.{name} + excluded.{name}" for name in add]
    return f"ON CONFLICT ({', '.join(keys)}) DO " + (
        f"UPDATE SET {', '.join(changes)}" if changes else "NOTHING"
    )


async def add_to_rows(
    session: AsyncSession,
    table: Table,
    names: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    keys: Sequence[str],
    add: Sequence[str],
) -> None:
    """`upsert(…, add=…)` for rows already in key order as tuples of `names`: a batch's
    thousands of board rows skip being dicts and being sorted again."""
    if rows:
        conflict = _on_conflict(table, keys, (), add)
        await _execute_values(session, table, names, rows, conflict, keys=keys, in_key_order=True)


async def insert_ignoring_duplicates(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    if not rows or await _execute_many(session, table, rows, "ON CONFLICT DO NOTHING"):
        return
    statement = dialect_insert(session, table).on_conflict_do_nothing()
    for part in chunks(rows, 1000):
        await session.execute(statement, list(part))


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows or await _execute_many(session, table, rows, ""):
        return
    for part in chunks(rows, 1000):
        await session.execute(insert(table), list(part))


# Keys per keyed lookup: one statement for a whole batch of 1,000, well under SQLite's
# 32,766 parameters with three key columns.
KEYS_PER_LOOKUP = 2000


def values_list(dialect_name: str, rows: int, width: int) -> str:
    """`(?, ?), (?, ?), …` in the driver's own parameter style (PostgreSQL's typed as text)."""
    if dialect_name == "postgresql":
        return ", ".join(
            "(" + ", ".join(f"${row * width + col + 1}::text" for col in range(width)) + ")"
            for row in range(rows)
        )
    one = "(" + ", ".join("?" * width) + ")"
    return ", ".join([one] * rows)


async def select_keyed(
    session: AsyncSession,
    table: Table,
    key_columns: Sequence[str],
    keys: Iterable[tuple[str, ...]],
    *,
    columns: Sequence[str],
    lock: bool = False,
) -> list[tuple[Any, ...]]:
    """The `columns` of the rows of `table` whose `key_columns` equal one of `keys`.

    A VALUES list joined to the table: both backends resolve it with one index probe per key,
    where a row-value `IN` makes SQLite scan the table and a lookup per community costs a
    statement each. Written as the driver's SQL: compiling a thousand-row VALUES through
    SQLAlchemy costs more than running it. Values come back as the column types read them.
    """
    # dict.fromkeys, not set: it keeps the caller's order, and keys that come sorted (most
    # do) sort again in one pass.
    wanted = sorted(dict.fromkeys(keys))
    if not wanted:
        return []
    connection = await session.connection()
    dialect = connection.dialect
    width = len(key_columns)
    names = ", ".join(f"k{index}" for index in range(width))
    selected = ", ".join(f"t.{name}" for name in columns)
    matches = " AND ".join(f"t.{name} = w.k{index}" for index, name in enumerate(key_columns))
    found: list[tuple[Any, ...]] = []
    for part in chunks(wanted, KEYS_PER_LOOKUP):
        # Identifiers come from the table's metadata, never from input; keys are parameters.
        keys_sql = values_list(dialect.name, len(part), width)
        sql = f"WITH w({names}) AS (VALUES {keys_sql}) SELECT {selected} FROM w JOIN {table.name} AS t ON {matches}"  # noqa: S608, E501
        if lock and dialect.name == "postgresql":
            sql += " FOR UPDATE OF t"
        flat = tuple(chain.from_iterable(part))
        result = await connection.exec_driver_sql(sql, flat)
        # Read as SQLAlchemy reads these columns (SQLite's datetimes are text, say).
        # Only the columns with a processor are touched (most have none).
        processors = [
            (index, process)
            for index, (name, described) in enumerate(
                zip(columns, result.cursor.description, strict=True)
            )
            if (process := table.c[name].type._cached_result_processor(dialect, described[1]))
            is not None
        ]
        if not processors:
            found.extend(map(tuple, result))
            continue
        for row in result:
            values = list(row)
            for index, process in processors:
                values[index] = process(values[index])
            found.append(tuple(values))
    return found


async def posted_before(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which (community, activity id) pairs are in the ledger already."""
    rows = await select_keyed(
        session,
        ledger_table,
        ("community_id", "activity_id"),
        keys,
        columns=("community_id", "activity_id"),
    )
    return {(row[0], row[1]) for row in rows}


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


async def load_rules(
    session: AsyncSession, community_ids: Iterable[str]
) -> dict[str, scoring_rules.Rules]:
    wanted = sorted(set(community_ids))
    found = dict.fromkeys(wanted, scoring_rules.DEFAULT_RULES)
    query = select(rules_table).where(rules_table.c.community_id.in_(wanted))
    for row in await session.execute(query):
        found[row.community_id] = scoring_rules.Rules(
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


async def member_places(
    session: AsyncSession, pairs: Sequence[tuple[str, str]]
) -> tuple[dict[tuple[str, str], str | None], set[tuple[str, str]]]:
    """Each known member's tier, and which of them the projection says no longer belong (left,
    removed, erased): a member it does not know yet still counts as belonging."""
    rows = await select_keyed(
        session,
        membership.membership,
        ("community_id", "member_id"),
        pairs,
        columns=("community_id", "member_id", "tier_id", "status"),
    )
    tiers = {(row[0], row[1]): row[2] for row in rows}
    gone = {(row[0], row[1]) for row in rows if row[3] not in BELONGING_STATUSES}
    return tiers, gone


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
    rows = await select_keyed(
        session,
        score_table,
        ("community_id", "member_id"),
        pairs,
        columns=("community_id", "member_id", *SCORE_COLUMNS),
        lock=lock,
    )
    found = {(row[0], row[1]): ScoreState(row[0], row[1], *row[2:]) for row in rows}
    for state in found.values():
        state.loaded_engagement_key = state.engagement_key
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
    rows = await select_keyed(
        session,
        type_table,
        ("community_id", "member_id", "activity_type"),
        triples,
        columns=("community_id", "member_id", "activity_type", *TYPE_COLUMNS),
    )
    return {(row[0], row[1], row[2]): TypeState(*row[3:]) for row in rows}


async def load_badges(
    session: AsyncSession, pairs: Sequence[tuple[str, str]]
) -> set[tuple[str, str, str]]:
    rows = await select_keyed(
        session,
        badge_table,
        ("community_id", "member_id"),
        pairs,
        columns=("community_id", "member_id", "badge"),
    )
    return {(row[0], row[1], row[2]) for row in rows}


async def entries_since(
    session: AsyncSession, since: Mapping[tuple[str, str, str], datetime]
) -> dict[tuple[str, str, str], list[PastEntry]]:
    """Each (community, member, type)'s posted entries from an instant on: what a late
    arrival is decided among. Rare (a late arrival of a type with a cooldown or cap), so one
    range probe of the member-type-time index per key."""
    ledger = ledger_table
    found: dict[tuple[str, str, str], list[PastEntry]] = {}
    for (community_id, member_id, activity_type), start in sorted(since.items()):
        query = select(
            ledger.c.id,
            ledger.c.activity_id,
            ledger.c.occurred_at,
            ledger.c.local_day,
            ledger.c.outcome,
            ledger.c.points_milli,
            ledger.c.tier_id,
        ).where(
            ledger.c.community_id == community_id,
            ledger.c.member_id == member_id,
            ledger.c.activity_type == activity_type,
            ledger.c.occurred_at >= start,
        )
        found[(community_id, member_id, activity_type)] = [
            PastEntry(*row) for row in await session.execute(query)
        ]
    return found


async def revise_entries(session: AsyncSession, revised: Sequence[tuple[str, str, int]]) -> None:
    """Record changed decisions (entry id, outcome, points) on the ledger's entries."""
    if not revised:
        return
    statement = (
        update(ledger_table)
        .where(ledger_table.c.id == bindparam("entry_id"))
        .values(outcome=bindparam("new_outcome"), points_milli=bindparam("new_points"))
    )
    await session.execute(
        statement,
        [
            {"entry_id": entry_id, "new_outcome": outcome, "new_points": points}
            for entry_id, outcome, points in revised
        ],
    )


def checkpoint_sqlite(database: str) -> None:
    """A passive WAL checkpoint of the SQLite database file, on a connection of its own."""
    connection = sqlite3.connect(database, timeout=5)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        connection.close()


async def last_seq(session: AsyncSession) -> int:
    value = (await session.execute(select(func.max(ledger_table.c.seq)))).scalar_one_or_none()
    return int(value or 0)


async def write_fold(session: AsyncSession, fold: Fold, ledger_rows: Sequence[LedgerRow]) -> None:
    """Write what a batch changed: the ledger rows, then every measure, a statement each."""
    await insert_rows(session, ledger_table, [row.values() for row in ledger_rows])
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
            # TYPE_COLUMNS, written out: a getattr per name costs three times as much.
            "count": state.count,
            "points_milli": state.points_milli,
            "capped": state.capped,
            "cooled_down": state.cooled_down,
            "last_credited_at": state.last_credited_at,
            "cap_day": state.cap_day,
            "cap_day_count": state.cap_day_count,
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
    # What each touched member's all-time score on the community's board was before the batch:
    # the score total as stored (the same credits make both).
    known = {
        (
            s.community_id,
            leaderboards_rules.BUCKETED,
            periods_rules.ALL_TIME_START,
            COMMUNITY_SCOPE,
            s.member_id,
        ): (s.score_milli - s.added_score_milli)
        for s in fold.scores.values()
        if s.touched
    }
    await add_to_boards(session, fold.board_added, known)
    await add_to_engagement_buckets(
        session,
        leaderboards_rules.key_bucket_changes(
            (s.community_id, s.loaded_engagement_key, s.engagement_key)
            for s in fold.scores.values()
            if s.touched
        ),
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


BOARD_KEY = ("community_id", "period", "period_start", "scope", "member_id")


async def add_to_boards(
    session: AsyncSession, added: Mapping[BoardKey, int], known: Mapping[BoardKey, int]
) -> None:
    """Add points to members' board rows, and on the all-time boards move members between
    score buckets to match (leaderboards/rules.py): those boards only grow, while a period's board
    holds only who was active in it, so a count over its index stays short. `known` holds
    scores the caller has at hand (the community's all-time board is the members' score
    totals); the other all-time rows' scores are read first, one keyed lookup for the batch."""
    if not added:
        return
    growing = [
        key for key, points in added.items() if points and key[1] == leaderboards_rules.BUCKETED
    ]
    before = dict(known)
    unknown = [key for key in growing if key not in before]
    for row in await select_keyed(
        session, board_table, BOARD_KEY, unknown, columns=(*BOARD_KEY, "score_milli")
    ):
        before[(row[0], row[1], row[2], row[3], row[4])] = row[5]
    # Sorted as the rows themselves: the keys are unique, so the points are never compared,
    # and it costs half of sorting the (key, points) pairs (a batch has thousands).
    rows = [(*key, points) for key, points in added.items()]
    rows.sort()
    await add_to_rows(
        session,
        board_table,
        (*BOARD_KEY, "score_milli"),
        rows,
        keys=BOARD_KEY,
        add=("score_milli",),
    )
    moves = []
    for key in growing:
        old = before.get(key, 0)
        moves.append(((key[0], key[1], key[2], key[3]), old, old + added[key]))
    await upsert(
        session,
        bucket_table,
        [
            {
                "community_id": community_id,
                "period": period,
                "period_start": start,
                "scope": scope,
                "bucket": bucket,
                "members": delta,
            }
            for (community_id, period, start, scope, bucket), delta in sorted(
                leaderboards_rules.bucket_changes(moves).items()
            )
        ],
        keys=("community_id", "period", "period_start", "scope", "bucket"),
        add=("members",),
    )


async def add_to_engagement_buckets(
    session: AsyncSession, changes: Mapping[tuple[str, int], int]
) -> None:
    """Add members to (or, negative, take them from) communities' engagement buckets."""
    await upsert(
        session,
        key_bucket_table,
        [
            {"community_id": community_id, "bucket": bucket, "members": delta}
            for (community_id, bucket), delta in sorted(changes.items())
        ],
        keys=("community_id", "bucket"),
        add=("members",),
    )
