"""i19: a community its owner lists for discovery (`community.listed`)

Revision ID: c0ffee190001
Revises: 61e971468528
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0ffee190001"
down_revision: str | None = "61e971468528"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing communities stay private: only an owner's choice lists one.
    with op.batch_alter_table("community") as batch:
        batch.add_column(
            sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("community") as batch:
        batch.drop_column("listed")
