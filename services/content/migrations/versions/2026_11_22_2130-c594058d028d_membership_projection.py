"""membership projection: who belongs where, kept from the members service's events

Revision ID: c594058d028d
Revises: 02513fbe62a1
Create Date: 2026-11-22 21:30:31.772636
"""

from collections.abc import Sequence

from alembic import op

from services.common.membership.tables import create_membership_tables, drop_membership_tables

revision: str = "c594058d028d"
down_revision: str | None = "02513fbe62a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_membership_tables(op.get_bind())


def downgrade() -> None:
    drop_membership_tables(op.get_bind())
