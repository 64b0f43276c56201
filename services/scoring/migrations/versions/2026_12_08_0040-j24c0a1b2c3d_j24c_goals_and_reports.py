"""j24c: goals, reports and their read models (content, events, tier and segment moves)

Revision ID: j24c0a1b2c3d
Revises: a24b0c0a1b2c
Create Date: 2026-12-08 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from services.common.db import UtcDateTime

revision: str = "j24c0a1b2c3d"
down_revision: str | None = "a24b0c0a1b2c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # Each member's first active day in one ordered pass (a report's members counts).
    op.create_index(
        "ix_daily_active_member", "daily_active", ["community_id", "member_id", "day"], unique=False
    )
    op.create_table(
        "goal",
        sa.Column("id", _string(40), nullable=False),
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("metric", _string(24), nullable=False),
        sa.Column("period", _string(8), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("created_by", _string(128), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
        sa.UniqueConstraint(
            "community_id", "metric", "period", name=op.f("uq_goal_community_id_metric_period")
        ),
    )
    op.create_index("ix_goal_community", "goal", ["community_id", "id"], unique=False)
    op.create_table(
        "content_info",
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("content_id", _string(64), nullable=False),
        sa.Column("kind", _string(40), nullable=False),
        sa.Column("title", _string(500), nullable=False),
        sa.Column("source_kind", _string(20), nullable=False),
        sa.Column("published_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "content_id", name=op.f("pk_content_info")),
    )
    op.create_index(
        "ix_content_info_published",
        "content_info",
        ["community_id", "published_at"],
        unique=False,
    )
    op.create_table(
        "content_day",
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("day", _string(10), nullable=False),
        sa.Column("content_id", _string(64), nullable=False),
        sa.Column("activity_type", _string(40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "community_id", "day", "content_id", "activity_type", name=op.f("pk_content_day")
        ),
    )
    op.create_table(
        "event_stat",
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("event_id", _string(64), nullable=False),
        sa.Column("title", _string(500), nullable=False),
        sa.Column("kind", _string(40), nullable=False),
        sa.Column("starts_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", _string(12), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "event_id", name=op.f("pk_event_stat")),
    )
    op.create_index(
        "ix_event_stat_starts", "event_stat", ["community_id", "starts_at"], unique=False
    )
    for name, columns in (
        (
            "tier_move",
            [
                sa.Column("from_tier_id", _string(64), nullable=False),
                sa.Column("to_tier_id", _string(64), nullable=False),
                sa.Column("reason", _string(20), nullable=False),
            ],
        ),
        (
            "segment_move",
            [
                sa.Column("previous_segment", _string(12), nullable=False),
                sa.Column("segment", _string(12), nullable=False),
            ],
        ),
    ):
        op.create_table(
            name,
            sa.Column("event_id", _string(64), nullable=False),
            sa.Column("community_id", _string(64), nullable=False),
            sa.Column("member_id", _string(64), nullable=False),
            *columns,
            sa.Column("changed_at", UtcDateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("event_id", name=op.f(f"pk_{name}")),
        )
        op.create_index(
            f"ix_{name}_community_at", name, ["community_id", "changed_at"], unique=False
        )
    op.create_table(
        "report",
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("period", _string(8), nullable=False),
        sa.Column("kind", _string(8), nullable=False),
        sa.Column("starts_on", _string(10), nullable=False),
        sa.Column("ends_on", _string(10), nullable=False),
        sa.Column("built_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "period", name=op.f("pk_report")),
    )


def downgrade() -> None:
    op.drop_table("report")
    for name in ("segment_move", "tier_move"):
        op.drop_index(f"ix_{name}_community_at", table_name=name)
        op.drop_table(name)
    op.drop_index("ix_event_stat_starts", table_name="event_stat")
    op.drop_table("event_stat")
    op.drop_table("content_day")
    op.drop_index("ix_content_info_published", table_name="content_info")
    op.drop_table("content_info")
    op.drop_index("ix_goal_community", table_name="goal")
    op.drop_table("goal")
    op.drop_index("ix_daily_active_member", table_name="daily_active")
