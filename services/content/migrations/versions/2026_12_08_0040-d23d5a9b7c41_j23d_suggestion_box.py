"""j23d: the suggestion box (suggestions and their +1s)

Revision ID: d23d5a9b7c41
Revises: c20d4b6e8a13
Create Date: 2026-12-08 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from services.common.db import UtcDateTime

revision: str = "d23d5a9b7c41"
down_revision: str | None = "c20d4b6e8a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "suggestion",
        sa.Column("id", _string(40), nullable=False),
        sa.Column("community_id", _string(40), nullable=False),
        sa.Column("author_member_id", _string(64), nullable=False),
        sa.Column("author_erased", sa.Boolean(), nullable=False),
        sa.Column("title", _string(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", _string(20), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("status_changed_by", _string(128), nullable=True),
        sa.Column("status_changed_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion")),
    )
    op.create_index(
        "ix_suggestion_community_id_id", "suggestion", ["community_id", "id"], unique=False
    )
    op.create_index(
        "ix_suggestion_community_id_votes",
        "suggestion",
        ["community_id", "votes", "id"],
        unique=False,
    )
    op.create_table(
        "suggestion_vote",
        sa.Column("suggestion_id", _string(40), nullable=False),
        sa.Column("member_id", _string(64), nullable=False),
        sa.Column("community_id", _string(40), nullable=False),
        sa.Column("voted_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("suggestion_id", "member_id", name=op.f("pk_suggestion_vote")),
    )
    op.create_index(
        "ix_suggestion_vote_community_member",
        "suggestion_vote",
        ["community_id", "member_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_suggestion_vote_community_member", table_name="suggestion_vote")
    op.drop_table("suggestion_vote")
    op.drop_index("ix_suggestion_community_id_votes", table_name="suggestion")
    op.drop_index("ix_suggestion_community_id_id", table_name="suggestion")
    op.drop_table("suggestion")
