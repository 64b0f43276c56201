"""membership projection: who belongs where, kept from the members service's events

Revision ID: af176f794911
Revises: 21b59d333e20
Create Date: 2026-11-22 21:30:34.414513
"""

from collections.abc import Sequence

from alembic import op

from services.common.membership.tables import create_membership_tables, drop_membership_tables

revision: str = "af176f794911"
down_revision: str | None = "21b59d333e20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_membership_tables(op.get_bind())


def downgrade() -> None:
    drop_membership_tables(op.get_bind())
