"""i25: ledger index by (community, member, type, occurred_at)

A late arrival of a type with a cooldown or a daily cap is decided among its member's entries of
that type around its time (services/scoring/ledger/rules.py `redecide`): one range probe.

Revision ID: i25a7c3e9d41
Revises: a20c3e5f7b91
Create Date: 2026-12-07 22:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "i25a7c3e9d41"
down_revision: str | None = "a20c3e5f7b91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_member_type_time",
            ["community_id", "member_id", "activity_type", "occurred_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_member_type_time")
