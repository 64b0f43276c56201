"""The SQLite floor under the ledger consumer: what the same events cost with no framework.

Writes the rows the ledger consumer writes for each batch of 1,000 events (ledger, member
score, type stat, the four period boards, daily actives and type counts, and one
`engagement.credited` outbox row per community; `activity.recorded` takes no inbox row) into the
service's migrated schema, with the service's pragmas, one transaction per batch, from
plain `json.loads` and tuples through sqlite3's `executemany`: no asyncio, no SQLAlchemy, no
pydantic, no rules beyond the default weights. The keyed lookups a batch needs first
(scores, type stats) are read too. No real consumer can be faster on this schema; the
per-statement split shows where the floor itself goes.
"""

import json
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, NamedTuple

from services.scoring.leaderboards.rules import COMMUNITY_SCOPE
from services.scoring.ledger.consumer import CHECKPOINT_SECONDS, SQLITE_CHECKPOINT_PAGES
from services.scoring.ledger.repository import (
    BOARD_KEY,
    SCORE_COLUMNS,
    TYPE_COLUMNS,
    checkpoint_sqlite,
)
from services.scoring.ledger.rules import LedgerRow, period_starts
from services.scoring.scoring_rules import rules as scoring_rules

BATCH = 1000
# The columns in the service's own order (the ledger row's fields, the keyed loads' columns),
# so the floor writes what the consumer writes.
UPSERTS = {
    "outbox_event": (("event_id", "topic", "message_key", "payload", "created_at"), ""),
    "ledger_entry": (tuple(field.name for field in fields(LedgerRow)), ""),
    "member_score": (
        ("community_id", "member_id", *SCORE_COLUMNS),
        "ON CONFLICT (community_id, member_id) DO UPDATE SET"
        " score_milli = member_score.score_milli + excluded.score_milli,"
        " activity_count = member_score.activity_count + excluded.activity_count,"
        " points_milli = member_score.points_milli + excluded.points_milli,"
        " level_milli = member_score.level_milli + excluded.level_milli,"
        " last_active_at = excluded.last_active_at, engagement_key = excluded.engagement_key",
    ),
    "member_type_stat": (
        ("community_id", "member_id", "activity_type", *TYPE_COLUMNS),
        "ON CONFLICT (community_id, member_id, activity_type) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in TYPE_COLUMNS),
    ),
    "board_entry": (
        (*BOARD_KEY, "score_milli"),
        f"ON CONFLICT ({', '.join(BOARD_KEY)}) DO UPDATE SET"
        " score_milli = board_entry.score_milli + excluded.score_milli",
    ),
    "daily_active": (("community_id", "day", "member_id"), "ON CONFLICT DO NOTHING"),
    "daily_type_count": (
        ("community_id", "day", "activity_type", "count"),
        "ON CONFLICT (community_id, day, activity_type) DO UPDATE SET"
        " count = daily_type_count.count + excluded.count",
    ),
}


class Floor(NamedTuple):
    per_second: float
    per_cpu_second: float  # this process's CPU time, its checkpoint thread's included
    python_us: float  # per event: decoding and building the rows
    statement_us: dict[str, float]  # per event, by table (and "lookups", "commit")
    rows_per_event: dict[str, float]


def _sql(table: str) -> str:
    names, tail = UPSERTS[table]
    marks = ", ".join("?" * len(names))
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) {tail}"


def _lookup(table: str, width: int, count: int) -> str:
    keys = ("community_id", "member_id", "activity_type")[:width]
    values = ", ".join(["(" + ", ".join("?" * width) + ")"] * count)
    on = " AND ".join(f"t.{name} = w.k{index}" for index, name in enumerate(keys))
    names = ", ".join(f"k{index}" for index in range(width))
    return f"WITH w({names}) AS (VALUES {values}) SELECT t.* FROM w JOIN {table} AS t ON {on}"


def _rows(messages: Sequence[bytes], seq: int, recorded: str) -> dict[str, list[tuple[Any, ...]]]:
    """The batch's rows, as the consumer would write them for first-time members."""
    ledger: list[tuple[Any, ...]] = []
    scores: dict[tuple[str, str], list[Any]] = {}
    types: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    boards: dict[tuple[str, ...], int] = defaultdict(int)
    daily: set[tuple[str, str, str]] = set()
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    days: dict[str, dict[tuple[str, str], list[Any]]] = {}
    for message in messages:
        envelope = json.loads(message)
        data = envelope["data"]
        seq += 1
        community, member, kind = data["community_id"], data["member_id"], data["activity_type"]
        occurred = data["occurred_at"].replace("T", " ")[:26]
        day = occurred[:10]
        points = scoring_rules.DEFAULT_RULES.weight_milli(kind)
        credited = days.setdefault(community, {}).setdefault((member, day), [0, 0, occurred])
        credited[0] += points
        credited[1] += 1
        credited[2] = max(credited[2], occurred)
        entry: tuple[Any, ...] = (f"led{seq:020d}", data["activity_id"], community, member)
        entry += (kind, points, occurred, recorded, None, None, "{}", seq, "credited", 14.0)
        ledger.append((*entry, None, day))
        score = scores.get((community, member))
        if score is None:
            score = [community, member, 0, 0, occurred, 0.0, 14.0, 0, 0, 1, "casual", 0]
            scores[(community, member)] = score
        score[2] += points
        score[3] += 1
        score[7] += points
        score[8] += points
        types[(community, member, kind)] = (
            community,
            member,
            kind,
            1,
            points,
            0,
            0,
            occurred,
            day,
            1,
        )
        for period, start in period_starts(day):
            boards[(community, period, start, COMMUNITY_SCOPE, member)] += points
        daily.add((community, day, member))
        counts[(community, day, kind)] += 1
    outbox = [
        (
            f"floor-{seq}-{community}",
            "huoli.scoring",
            community,
            json.dumps(
                {
                    "type": "engagement.credited",
                    "data": {
                        "community_id": community,
                        "credited": [
                            {
                                "member_id": member,
                                "day": day,
                                "points": points / 1000,
                                "activities": activities,
                                "last_activity_at": last,
                            }
                            for (member, day), (points, activities, last) in sorted(lines.items())
                        ],
                        "credited_at": recorded,
                    },
                }
            ),
            recorded,
        )
        for community, lines in sorted(days.items())
    ]
    return {
        "outbox_event": outbox,
        "ledger_entry": ledger,
        "member_score": [tuple(row) for _, row in sorted(scores.items())],
        "member_type_stat": [row for _, row in sorted(types.items())],
        "board_entry": [(*key, points) for key, points in sorted(boards.items())],
        "daily_active": sorted(daily),
        "daily_type_count": [(*key, count) for key, count in sorted(counts.items())],
    }


def sqlite_floor(path: Path, messages: Sequence[bytes]) -> Floor:
    """Apply `messages` (activity.recorded envelopes) to the migrated SQLite database at `path`."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "cache_size=-65536",
        f"wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}",
    ):
        db.execute(f"PRAGMA {pragma}")
    # Checkpoints beside the batches, as the consumer takes them (`BatchInboxConsumer`).
    stop = threading.Event()

    def checkpoints() -> None:
        while not stop.wait(CHECKPOINT_SECONDS):
            checkpoint_sqlite(str(path))

    checkpointer = threading.Thread(target=checkpoints, daemon=True)
    checkpointer.start()
    spent: dict[str, float] = defaultdict(float)
    written: dict[str, int] = defaultdict(int)
    python = 0.0
    started, cpu_started = time.perf_counter(), time.process_time()
    for start in range(0, len(messages), BATCH):
        built = time.perf_counter()
        rows = _rows(messages[start : start + BATCH], start, "2026-12-03 12:00:00.000000")
        python += time.perf_counter() - built
        db.execute("BEGIN IMMEDIATE")
        began = time.perf_counter()
        for table, width in (("member_score", 2), ("member_type_stat", 3)):
            keys = [row[:width] for row in rows[table]]
            for part in range(0, len(keys), 400):
                chunk = keys[part : part + 400]
                flat = [value for key in chunk for value in key]
                db.execute(_lookup(table, width, len(chunk)), flat).fetchall()
        spent["lookups"] += time.perf_counter() - began
        for table, table_rows in rows.items():
            began = time.perf_counter()
            db.executemany(_sql(table), table_rows)
            spent[table] += time.perf_counter() - began
            written[table] += len(table_rows)
        began = time.perf_counter()
        db.execute("COMMIT")
        spent["commit"] += time.perf_counter() - began
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    stop.set()
    checkpointer.join()
    db.close()
    count = len(messages)
    return Floor(
        per_second=count / elapsed,
        per_cpu_second=count / cpu,
        python_us=python / count * 1e6,
        statement_us={name: seconds / count * 1e6 for name, seconds in spent.items()},
        rows_per_event={name: rows / count for name, rows in written.items()},
    )
