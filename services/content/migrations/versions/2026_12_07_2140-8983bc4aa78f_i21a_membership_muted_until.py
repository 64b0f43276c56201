"""i21a: the membership projection keeps when a mute ends (member.sanctioned); a
series can be paused

Revision ID: 8983bc4aa78f
Revises: 899c8d7e2397
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db
from services.common.membership.tables import muted_until_column

revision: str = "8983bc4aa78f"
down_revision: str | None = "899c8d7e2397"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("membership", muted_until_column())
    op.add_column(
        "content_series",
        sa.Column("paused_at", services.common.db.UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("content_series") as batch:
        batch.drop_column("paused_at")
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("muted_until")
