"""drop two indexes no query reads: every batch paid to keep them

`ix_member_score_board` ordered scores for a board that now lives in `board_entry`;
`ix_ledger_entry_community_occurred` served no query (the metrics count `daily_active` and
`daily_type_count`, the replay reads the ledger by (community, seq)). Each was rewritten for
every score upsert and ledger insert.

Revision ID: 4c2d8e6f1a93
Revises: 9b3f0c1d2e47
Create Date: 2026-12-03 14:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "4c2d8e6f1a93"
down_revision: str | None = "9b3f0c1d2e47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member_score", schema=None) as batch_op:
        batch_op.drop_index("ix_member_score_board")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_community_occurred")


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_community_occurred", ["community_id", "occurred_at"], unique=False
        )
    with op.batch_alter_table("member_score", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_score_board", ["community_id", "score_milli", "member_id"], unique=False
        )
