"""i21b: secret calendar feed addresses and the communities' names for the calendar

Revision ID: i21b0c4f7e11
Revises: 10fd79bb7a52
Create Date: 2026-12-07 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.common.db

revision: str = "i21b0c4f7e11"
down_revision: str | None = "10fd79bb7a52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_calendar_feed")),
    )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.create_index("ux_calendar_feed_token", ["token"], unique=True)
    op.create_table(
        "community_name",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_community_name")),
    )


def downgrade() -> None:
    op.drop_table("community_name")
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_index("ux_calendar_feed_token")
    op.drop_table("calendar_feed")
