"""The migration that clusters scoring's batch-written tables on their primary key (SQLite)."""

import asyncio
import sqlite3

from alembic import command

from services.common.components import SCORING
from services.common.migrations import alembic_config
from services.scoring.storage import batches
from services.scoring.storage.tables import metadata
from tests.support import rows_after_upgrade

BEFORE = "c4a8e2f61b93"  # the revision before WITHOUT ROWID

BOARD_ROWS = [
    {
        "community_id": "c1",
        "period": period,
        "period_start": start,
        "scope": "*",
        "member_id": f"m-{n}",
        "score_milli": 1000 * n,
    }
    for period, start in (("all", ""), ("week", "2026-11-30"))
    for n in range(5)
]


def clustered_tables() -> set[str]:
    """The tables the models declare WITHOUT ROWID."""
    return {
        table.name
        for table in metadata.tables.values()
        if table.dialect_options["sqlite"]["with_rowid"] is False
    }


def schema(path: str) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))


def key_order(rows: list[object]) -> list[tuple[object, ...]]:
    return sorted(tuple(row) for row in rows)  # type: ignore[arg-type]


async def test_the_migration_keeps_rows_and_clusters_the_hot_tables(database_url: str) -> None:
    kept = await rows_after_upgrade(
        SCORING,
        database_url,
        revision=BEFORE,
        seed=(batches.board_table, BOARD_ROWS),
        read=batches.board_table,
    )
    assert key_order(kept) == key_order([tuple(row.values()) for row in BOARD_ROWS])
    if not database_url.startswith("sqlite"):
        return  # PostgreSQL has no rowid: the migration changes nothing there
    path = database_url.split(":///", 1)[1]
    found = schema(path)
    assert {"board_entry", "member_score", "member_type_stat", "activity_receipt"} <= (
        clustered_tables()
    )
    # Exactly the tables the models declare, so a fresh schema and a migrated one agree.
    assert {
        name for name, sql in found.items() if sql.rstrip().endswith("WITHOUT ROWID")
    } == clustered_tables()
    # The board's rank index is recreated from its own SQL, descending score and all.
    assert "score_milli DESC" in found["ix_board_entry_rank"]
    assert "ix_member_score_engagement" in found

    config = alembic_config(ini_path=SCORING.alembic_ini, database_url=database_url)
    await asyncio.to_thread(command.downgrade, config, BEFORE)
    found = schema(path)
    assert not any(sql.rstrip().endswith("WITHOUT ROWID") for sql in found.values())
    assert "score_milli DESC" in found["ix_board_entry_rank"]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM board_entry").fetchone() == (len(BOARD_ROWS),)
