"""membership projection; activity ids unique per community

The membership projection (services.common.membership) replaces member_profile: its rows are
copied over (every membership scoring knew of was an active plain member), and the consumer of
huoli.members fills in the rest. Activity receipts and ledger entries become unique per
(community, activity id) rather than per activity id.

Revision ID: 0e26eca19d99
Revises: fbae9ef877ee
Create Date: 2026-11-22 21:30:36.902315
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.membership.tables import create_membership_tables, drop_membership_tables

revision: str = "0e26eca19d99"
down_revision: str | None = "fbae9ef877ee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_membership_tables(op.get_bind())
    op.execute(
        "INSERT INTO membership"
        " (community_id, user_id, member_id, display_name, status, role, joined_at)"
        " SELECT community_id, user_id, member_id, display_name, 'active', 'member', joined_at"
        " FROM member_profile"
    )
    op.drop_table("member_profile")
    with op.batch_alter_table("activity_receipt", schema=None) as batch_op:
        batch_op.drop_constraint("pk_activity_receipt", type_="primary")
        batch_op.create_primary_key("pk_activity_receipt", ["community_id", "activity_id"])
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ledger_entry_activity_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ledger_entry_community_id_activity_id", ["community_id", "activity_id"]
        )


def downgrade() -> None:
    # Fails if two communities used the same activity id: then the old rule cannot hold.
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ledger_entry_community_id_activity_id", type_="unique")
        batch_op.create_unique_constraint("uq_ledger_entry_activity_id", ["activity_id"])
    with op.batch_alter_table("activity_receipt", schema=None) as batch_op:
        batch_op.drop_constraint("pk_activity_receipt", type_="primary")
        batch_op.create_primary_key("pk_activity_receipt", ["activity_id"])
    op.create_table(
        "member_profile",
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "member_id", name="pk_member_profile"),
    )
    op.execute(
        "INSERT INTO member_profile (community_id, user_id, member_id, display_name, joined_at)"
        " SELECT community_id, user_id, member_id, display_name, joined_at FROM membership"
    )
    drop_membership_tables(op.get_bind())
