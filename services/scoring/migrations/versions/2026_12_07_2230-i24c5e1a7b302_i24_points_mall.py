"""i24: the points mall (rewards, claims, redemptions), refunds that earn no level, own badges

Revision ID: i24c5e1a7b302
Revises: i22b5c6d7e8f
Create Date: 2026-12-07 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from services.common.db import UtcDateTime

revision: str = "i24c5e1a7b302"
down_revision: str | None = "i22b5c6d7e8f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "reward",
        sa.Column("id", _string(40), nullable=False),
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("name", _string(100), nullable=False),
        sa.Column("description", _string(2000), nullable=False),
        sa.Column("price_milli", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("redeemed", sa.Integer(), nullable=False),
        sa.Column("per_member_limit", sa.Integer(), nullable=True),
        sa.Column("tier_id", _string(64), nullable=True),
        sa.Column("starts_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", _string(12), nullable=False),
        sa.Column("created_by", _string(128), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward")),
    )
    op.create_index("ix_reward_community", "reward", ["community_id", "id"], unique=False)
    op.create_table(
        "reward_claim",
        sa.Column("reward_id", _string(40), nullable=False),
        sa.Column("member_id", _string(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("reward_id", "member_id", name=op.f("pk_reward_claim")),
    )
    op.create_table(
        "redemption",
        sa.Column("id", _string(40), nullable=False),
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("reward_id", _string(40), nullable=False),
        sa.Column("member_id", _string(64), nullable=False),
        sa.Column("code", _string(32), nullable=False),
        sa.Column("price_milli", sa.BigInteger(), nullable=False),
        sa.Column("status", _string(12), nullable=False),
        sa.Column("redeemed_by", _string(128), nullable=False),
        sa.Column("redeemed_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_by", _string(128), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", _string(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint("code", name=op.f("uq_redemption_code")),
    )
    op.create_index(
        "ix_redemption_member", "redemption", ["community_id", "member_id", "id"], unique=False
    )
    op.create_table(
        "badge_definition",
        sa.Column("id", _string(40), nullable=False),
        sa.Column("community_id", _string(64), nullable=False),
        sa.Column("name", _string(60), nullable=False),
        sa.Column("description", _string(500), nullable=False),
        sa.Column("image_url", _string(2000), nullable=True),
        sa.Column("created_by", _string(128), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_definition")),
    )
    op.create_index(
        "ix_badge_definition_community", "badge_definition", ["community_id", "id"], unique=False
    )
    with op.batch_alter_table("points_adjustment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("earned", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("points_adjustment", schema=None) as batch_op:
        batch_op.drop_column("earned")
    op.drop_index("ix_badge_definition_community", table_name="badge_definition")
    op.drop_table("badge_definition")
    op.drop_index("ix_redemption_member", table_name="redemption")
    op.drop_table("redemption")
    op.drop_table("reward_claim")
    op.drop_index("ix_reward_community", table_name="reward")
    op.drop_table("reward")
