"""i20: credited days replace the local engagement projection; the entry tier, invite tiers,
manual tier moves; calendar periods and demotion options in the tier policy

Revision ID: b20e1a7c0d20
Revises: 0d016ffb57de
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.common.db

revision: str = "b20e1a7c0d20"
down_revision: str | None = "0d016ffb57de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The old projection weighed activities itself; its rows are not scoring's points.
    with op.batch_alter_table("activity_day", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_day_community_id_day")
    op.drop_table("activity_day")
    op.create_table(
        "credited_day",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "member_id", "day", name=op.f("pk_credited_day")),
    )
    with op.batch_alter_table("credited_day", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credited_day_community_id_day", ["community_id", "day"], unique=False
        )
    op.create_table(
        "tier_change",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("from_tier_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("to_tier_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("changed_at", services.common.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_tier_change_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_change")),
    )
    with op.batch_alter_table("tier_change", schema=None) as batch_op:
        batch_op.create_index("ix_tier_change_member_id_id", ["member_id", "id"], unique=False)
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("entry_tier_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tier_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
    # Day counts become calendar periods: a week or less → week, up to 20 days → half_month.
    text = sqlmodel.sql.sqltypes.AutoString(length=20)
    with op.batch_alter_table("tier_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("promote_period", text, nullable=False, server_default="week")
        )
        batch_op.add_column(
            sa.Column("demote_period", text, nullable=False, server_default="half_month")
        )
        batch_op.add_column(sa.Column("demote_scope", text, nullable=False, server_default="tier"))
        batch_op.add_column(
            sa.Column("demote_to", text, nullable=False, server_default="next_lower")
        )
        batch_op.add_column(
            sa.Column("demote_silent_days", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("warn_days_before", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE tier_policy SET promote_period = CASE WHEN promote_every_days <= 7 THEN 'week' "
        "WHEN promote_every_days <= 20 THEN 'half_month' ELSE 'month' END, "
        "demote_period = CASE WHEN demote_every_days <= 7 THEN 'week' "
        "WHEN demote_every_days <= 20 THEN 'half_month' ELSE 'month' END"
    )
    with op.batch_alter_table("tier_policy", schema=None) as batch_op:
        batch_op.drop_column("promote_every_days")
        batch_op.drop_column("demote_every_days")


def downgrade() -> None:
    with op.batch_alter_table("tier_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("promote_every_days", sa.Integer(), nullable=False, server_default="7")
        )
        batch_op.add_column(
            sa.Column("demote_every_days", sa.Integer(), nullable=False, server_default="14")
        )
        for name in (
            "warn_days_before",
            "demote_silent_days",
            "demote_to",
            "demote_scope",
            "demote_period",
            "promote_period",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_column("tier_id")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("entry_tier_id")
    with op.batch_alter_table("tier_change", schema=None) as batch_op:
        batch_op.drop_index("ix_tier_change_member_id_id")
    op.drop_table("tier_change")
    with op.batch_alter_table("credited_day", schema=None) as batch_op:
        batch_op.drop_index("ix_credited_day_community_id_day")
    op.drop_table("credited_day")
    op.create_table(
        "activity_day",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "member_id", "day", name=op.f("pk_activity_day")),
    )
    with op.batch_alter_table("activity_day", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_day_community_id_day", ["community_id", "day"], unique=False
        )
