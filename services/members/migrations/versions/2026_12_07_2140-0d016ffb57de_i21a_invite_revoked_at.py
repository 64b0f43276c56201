"""i21a: invite codes can be revoked

Revision ID: 0d016ffb57de
Revises: 61e971468528
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "0d016ffb57de"
down_revision: str | None = "61e971468528"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "invite",
        sa.Column("revoked_at", services.common.db.UtcDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("invite") as batch:
        batch.drop_column("revoked_at")
