"""i20: activities held until the membership projection knows their community and member

Revision ID: a20c3e5f7b91
Revises: 1c169788d067
Create Date: 2026-12-07 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.common.db

revision: str = "a20c3e5f7b91"
down_revision: str | None = "1c169788d067"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_activity",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("activity_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("received_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("refuse_after", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "activity_id", name=op.f("pk_held_activity")),
    )
    with op.batch_alter_table("held_activity", schema=None) as batch_op:
        batch_op.create_index("ix_held_activity_refuse_after", ["refuse_after"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("held_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_held_activity_refuse_after")
    op.drop_table("held_activity")
