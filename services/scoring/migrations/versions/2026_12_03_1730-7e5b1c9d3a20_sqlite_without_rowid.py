"""on SQLite, cluster the tables every batch writes on their primary key (WITHOUT ROWID)

A rowid table keeps its primary key as a second B-tree beside the rows, so every upsert into
it wrote two B-trees where one will do. Each table is rebuilt with its rows, and its indexes are
recreated from the SQL SQLite stored for them (which keeps `score_milli DESC` of the board's
rank index; reflection would lose it). PostgreSQL has no rowid: nothing changes there.

Revision ID: 7e5b1c9d3a20
Revises: c4a8e2f61b93
Create Date: 2026-12-03 17:30:00.000000
"""

import re
from collections.abc import Sequence

from alembic import op

revision: str = "7e5b1c9d3a20"
down_revision: str | None = "c4a8e2f61b93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "activity_receipt",
    "member_score",
    "member_type_stat",
    "board_entry",
    "board_bucket",
    "engagement_bucket",
    "daily_active",
    "daily_type_count",
)
_CLAUSE = re.compile(r"\s*WITHOUT ROWID\s*$", re.IGNORECASE)


def _rebuild(table: str, *, with_rowid: bool) -> None:
    bind = op.get_bind()
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    indexes = [
        row[0]
        for row in bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        )
    ]
    body = _CLAUSE.sub("", create.rstrip())
    rebuilt = f"{table}_rebuilt"
    body, renamed = re.subn(
        rf'^CREATE TABLE\s+("?){table}\1', f"CREATE TABLE {rebuilt}", body, count=1
    )
    if renamed != 1:  # pragma: no cover - the tables are this service's own
        raise RuntimeError(f"unexpected definition of {table}: {create}")
    op.execute(body if with_rowid else f"{body} WITHOUT ROWID")
    # Table names come from TABLES above, never from input.
    op.execute(f"INSERT INTO {rebuilt} SELECT * FROM {table}")  # noqa: S608
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    for index in indexes:
        op.execute(index)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild(table, with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild(table, with_rowid=True)
