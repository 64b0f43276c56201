"""i21a: the membership projection keeps when a mute ends (member.sanctioned); a drawn
lottery keeps its frozen pool

Revision ID: 10fd79bb7a52
Revises: 3c078d4d27e6
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.membership.tables import muted_until_column

revision: str = "10fd79bb7a52"
down_revision: str | None = "3c078d4d27e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("membership", muted_until_column())
    op.add_column("lottery", sa.Column("pool_member_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lottery") as batch:
        batch.drop_column("pool_member_ids")
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("muted_until")
