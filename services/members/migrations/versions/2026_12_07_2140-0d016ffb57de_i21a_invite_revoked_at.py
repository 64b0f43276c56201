"""i21a: invite codes can be revoked; members keep their engagement segment

Revision ID: 0d016ffb57de
Revises: c0ffee190001
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "0d016ffb57de"
down_revision: str | None = "c0ffee190001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "invite",
        sa.Column("revoked_at", services.common.db.UtcDateTime(timezone=True), nullable=True),
    )
    op.add_column("membership", sa.Column("segment", sa.String(length=20), nullable=True))
    op.create_index(
        "ix_membership_community_id_segment_id",
        "membership",
        ["community_id", "segment", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_membership_community_id_segment_id", table_name="membership")
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("segment")
    with op.batch_alter_table("invite") as batch:
        batch.drop_column("revoked_at")
