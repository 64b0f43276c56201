"""workflow, screening, publishing rules, series, polls, engagement

Revision ID: 899c8d7e2397
Revises: c594058d028d
Create Date: 2026-11-29 14:01:52.480904
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.common.db

revision: str = "899c8d7e2397"
down_revision: str | None = "c594058d028d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows get the defaults a new item starts with (server defaults, so that the
    # columns can be NOT NULL on SQLite's batch copy and PostgreSQL's ALTER alike).
    op.create_table(
        "content_series",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("rrule", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("body_template", sa.Text(), nullable=False),
        sa.Column("tier_ids", sa.JSON(), nullable=False),
        sa.Column("starts_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "materialized_until", services.common.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_series")),
    )
    with op.batch_alter_table("content_series", schema=None) as batch_op:
        batch_op.create_index(
            "ix_content_series_community_id_id", ["community_id", "id"], unique=False
        )

    op.create_table(
        "poll_vote",
        sa.Column("content_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("option", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("voted_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("content_id", "member_id", name=op.f("pk_poll_vote")),
    )
    op.create_table(
        "publishing_rules",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("max_per_day", sa.Integer(), nullable=False),
        sa.Column("min_gap_minutes", sa.Integer(), nullable=False),
        sa.Column("quiet_hours", sa.JSON(), nullable=True),
        sa.Column("updated_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_publishing_rules")),
    )
    op.create_table(
        "screening_settings",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("allowed_domains", sa.JSON(), nullable=False),
        sa.Column("updated_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_screening_settings")),
    )
    with op.batch_alter_table("content_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("author_erased", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("poll_options", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("screening", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("publish_at", services.common.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("published_at", services.common.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("series_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("occurrence_at", services.common.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("views", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("reactions", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("comments", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("shares", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index(
            "ix_content_item_community_id_publish_at", ["community_id", "publish_at"], unique=False
        )
        batch_op.create_index(
            "ix_content_item_status_publish_at", ["status", "publish_at"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_content_item_series_id_occurrence_at"), ["series_id", "occurrence_at"]
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("content_item", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_content_item_series_id_occurrence_at"), type_="unique"
        )
        batch_op.drop_index("ix_content_item_status_publish_at")
        batch_op.drop_index("ix_content_item_community_id_publish_at")
        batch_op.drop_column("shares")
        batch_op.drop_column("comments")
        batch_op.drop_column("reactions")
        batch_op.drop_column("views")
        batch_op.drop_column("occurrence_at")
        batch_op.drop_column("series_id")
        batch_op.drop_column("late")
        batch_op.drop_column("published_at")
        batch_op.drop_column("publish_at")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("flagged")
        batch_op.drop_column("screening")
        batch_op.drop_column("poll_options")
        batch_op.drop_column("author_erased")

    op.drop_table("screening_settings")
    op.drop_table("publishing_rules")
    op.drop_table("poll_vote")
    with op.batch_alter_table("content_series", schema=None) as batch_op:
        batch_op.drop_index("ix_content_series_community_id_id")

    op.drop_table("content_series")
    # ### end Alembic commands ###
