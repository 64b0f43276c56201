"""engagement buckets: member counts per engagement-key bucket of each community, so the
engagement rank costs the same at any depth

Revision ID: c4a8e2f61b93
Revises: 4c2d8e6f1a93
Create Date: 2026-12-03 14:30:00.000000
"""

import math
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c4a8e2f61b93"
down_revision: str | None = "4c2d8e6f1a93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The bucket function as this revision fills the table (storage/ranks.py): a migration must
# not change with the application's code.
NO_SCORE = -1.0e300
KEY_BUCKETS = 32
KEY_BUCKET_LIMIT = 1 << 30


def _bucket_of(key: float) -> int:
    scaled = key * KEY_BUCKETS
    if scaled >= KEY_BUCKET_LIMIT:
        return KEY_BUCKET_LIMIT
    if scaled < -KEY_BUCKET_LIMIT:
        return -KEY_BUCKET_LIMIT
    return math.floor(scaled)


def upgrade() -> None:
    bucket_table = op.create_table(
        "engagement_bucket",
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "bucket", name=op.f("pk_engagement_bucket")),
    )
    # The keys already kept, community by community (a member with no score is in no bucket).
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT community_id, engagement_key FROM member_score"
            " WHERE engagement_key > :no_score ORDER BY community_id"
        ),
        {"no_score": NO_SCORE},
    )
    counts: Counter[tuple[str, int]] = Counter()
    for community_id, key in rows:
        counts[(community_id, _bucket_of(float(key)))] += 1
    # At most a few thousand buckets per community: written in one go.
    if counts:
        connection.execute(
            sa.insert(bucket_table),
            [
                {"community_id": community_id, "bucket": bucket, "members": members}
                for (community_id, bucket), members in sorted(counts.items())
            ],
        )


def downgrade() -> None:
    op.drop_table("engagement_bucket")
