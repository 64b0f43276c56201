"""i20: screening per source (official content: flag, links allowed, by default)

Revision ID: c20d4b6e8a13
Revises: 8983bc4aa78f
Create Date: 2026-12-07 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c20d4b6e8a13"
down_revision: str | None = "8983bc4aa78f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("screening_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("official", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("screening_settings", schema=None) as batch_op:
        batch_op.drop_column("official")
