"""an index on the ledger's seq: each batch reads max(seq), which otherwise scans the ledger

Revision ID: 5d1e7a2c9b40
Revises: cefba915ac58
Create Date: 2026-11-29 15:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d1e7a2c9b40"
down_revision: str | None = "cefba915ac58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entry_seq", ["seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_seq")
