"""i21a: the membership projection keeps when a mute ends (member.sanctioned)

Revision ID: 1c169788d067
Revises: c4a8e2f61b93
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

from alembic import op

from services.common.membership.tables import muted_until_column

revision: str = "1c169788d067"
down_revision: str | None = "c4a8e2f61b93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("membership", muted_until_column())


def downgrade() -> None:
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("muted_until")
