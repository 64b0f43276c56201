"""j23d: win-back nudges (campaigns, recipients, members' tags, communities' names)

Revision ID: e23d7b2c9a15
Revises: j22b3e7a1c9d4
Create Date: 2026-12-08 00:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from services.common.db import UtcDateTime

revision: str = "e23d7b2c9a15"
down_revision: str | None = "j22b3e7a1c9d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "nudge_campaign",
        sa.Column("id", _string(40), nullable=False),
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("name", _string(100), nullable=False),
        sa.Column("segment", _string(12), nullable=True),
        sa.Column("tier_id", _string(64), nullable=True),
        sa.Column("tag", _string(50), nullable=True),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("holdout_percent", sa.Integer(), nullable=False),
        sa.Column("frequency_cap_days", sa.Integer(), nullable=False),
        sa.Column("run_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", _string(12), nullable=False),
        sa.Column("ran_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("targeted", sa.Integer(), nullable=False),
        sa.Column("nudged", sa.Integer(), nullable=False),
        sa.Column("held_out", sa.Integer(), nullable=False),
        sa.Column("capped", sa.Integer(), nullable=False),
        sa.Column("created_by", _string(128), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_campaign")),
    )
    op.create_index(
        "ix_nudge_campaign_community", "nudge_campaign", ["community_id", "id"], unique=False
    )
    op.create_index(
        "ix_nudge_campaign_status_run_at", "nudge_campaign", ["status", "run_at"], unique=False
    )
    op.create_table(
        "nudge_recipient",
        sa.Column("campaign_id", _string(40), nullable=False),
        sa.Column("member_id", _string(64), nullable=False),
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("arm", _string(8), nullable=False),
        sa.Column("assigned_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("window_ends_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "member_id", name=op.f("pk_nudge_recipient")),
    )
    op.create_index(
        "ix_nudge_recipient_member",
        "nudge_recipient",
        ["community_id", "member_id", "assigned_at"],
        unique=False,
    )
    op.create_table(
        "nudge_member_tag",
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("member_id", _string(64), nullable=False),
        sa.Column("tag", _string(50), nullable=False),
        sa.PrimaryKeyConstraint(
            "community_id", "member_id", "tag", name=op.f("pk_nudge_member_tag")
        ),
    )
    op.create_table(
        "nudge_community",
        sa.Column("id", _string(64), nullable=False),
        sa.Column("name", _string(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_community")),
    )


def downgrade() -> None:
    op.drop_table("nudge_community")
    op.drop_table("nudge_member_tag")
    op.drop_index("ix_nudge_recipient_member", table_name="nudge_recipient")
    op.drop_table("nudge_recipient")
    op.drop_index("ix_nudge_campaign_status_run_at", table_name="nudge_campaign")
    op.drop_index("ix_nudge_campaign_community", table_name="nudge_campaign")
    op.drop_table("nudge_campaign")
