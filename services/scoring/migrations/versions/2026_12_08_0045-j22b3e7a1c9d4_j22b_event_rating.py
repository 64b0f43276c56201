"""j22b: event ratings, for the falling-rating early warning

Revision ID: j22b3e7a1c9d4
Revises: j24c0a1b2c3d
Create Date: 2026-12-08 00:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.common.db

revision: str = "j22b3e7a1c9d4"
down_revision: str | None = "j24c0a1b2c3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_rating",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ends_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("alerted_at", services.common.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_rating")),
    )
    op.create_index(
        "ix_event_rating_community_id_ends_at",
        "event_rating",
        ["community_id", "ends_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_event_rating_community_id_ends_at", table_name="event_rating")
    op.drop_table("event_rating")
