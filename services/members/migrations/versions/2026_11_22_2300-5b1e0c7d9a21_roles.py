"""roles: one owner per community, memberships looked up by user

Revision ID: 5b1e0c7d9a21
Revises: 99a4e5188fe7
Create Date: 2026-11-22 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e0c7d9a21"
down_revision: str | None = "99a4e5188fe7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWNER = sa.text("role = 'owner'")


def upgrade() -> None:
    op.create_index("ix_membership_user_id", "membership", ["user_id"])
    op.create_index(
        "ux_membership_one_owner",
        "membership",
        ["community_id"],
        unique=True,
        sqlite_where=_OWNER,
        postgresql_where=_OWNER,
    )


def downgrade() -> None:
    op.drop_index("ux_membership_one_owner", table_name="membership")
    op.drop_index("ix_membership_user_id", table_name="membership")
