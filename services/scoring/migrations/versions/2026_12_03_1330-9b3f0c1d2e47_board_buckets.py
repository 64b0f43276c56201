"""board buckets: member counts per score bucket of the all-time boards, so an own rank there
costs the same at any depth

Revision ID: 9b3f0c1d2e47
Revises: 5d1e7a2c9b40
Create Date: 2026-12-03 13:30:00.000000
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "9b3f0c1d2e47"
down_revision: str | None = "5d1e7a2c9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The bucket function as this revision fills the table (storage/ranks.py): a migration must
# not change with the application's code.
BITS = 7


def _bucket_of(score_milli: int) -> int:
    shift = max(score_milli.bit_length() - BITS, 0)
    return (shift << (BITS - 1)) + (score_milli >> shift)


def upgrade() -> None:
    bucket_table = op.create_table(
        "board_bucket",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("period_start", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "community_id",
            "period",
            "period_start",
            "scope",
            "bucket",
            name=op.f("pk_board_bucket"),
        ),
    )
    # The all-time boards already kept: counted board by board, in the order of their key.
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT community_id, period, period_start, scope, score_milli FROM board_entry"
            " WHERE period = 'all' AND score_milli > 0"
            " ORDER BY community_id, period, period_start, scope"
        )
    )
    counts: Counter[tuple[str, str, str, str, int]] = Counter()
    for community_id, period, start, scope, score in rows:
        counts[(community_id, period, start, scope, _bucket_of(int(score)))] += 1
        if len(counts) >= 10_000:
            _flush(bucket_table, counts)
    _flush(bucket_table, counts)


def _flush(table: sa.Table, counts: Counter[tuple[str, str, str, str, int]]) -> None:
    """Add counted members to the table (a board may span two flushes: its counts add up)."""
    if not counts:
        return
    keys = ("community_id", "period", "period_start", "scope", "bucket")
    connection = op.get_bind()
    for key, members in counts.items():
        where = sa.and_(*(table.c[name] == value for name, value in zip(keys, key, strict=True)))
        updated = connection.execute(
            sa.update(table).where(where).values(members=table.c.members + members)
        )
        if updated.rowcount == 0:
            values = {**dict(zip(keys, key, strict=True)), "members": members}
            connection.execute(sa.insert(table).values(values))
    counts.clear()


def downgrade() -> None:
    op.drop_table("board_bucket")
