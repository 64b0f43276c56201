"""The outbox and inbox tables as the services' initial migrations create them, written once.

A migration is history: these functions must keep creating exactly what they created when the
migrations calling them were written. A later change to the tables is a new function here,
called from a new migration in each service, never an edit of these.
"""

import sqlalchemy as sa
from alembic import op

from services.common.db import UtcDateTime

OUTBOX = "outbox_event"
INBOX = "inbox_event"
OUTBOX_UNPUBLISHED_INDEX = "ix_outbox_event_unpublished"


def create_messaging_tables() -> None:
    op.create_table(
        INBOX,
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("processed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox_event")),
    )
    op.create_table(
        OUTBOX,
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_event_id")),
    )
    with op.batch_alter_table(OUTBOX, schema=None) as batch_op:
        batch_op.create_index(OUTBOX_UNPUBLISHED_INDEX, ["published_at", "seq"], unique=False)


def drop_messaging_tables() -> None:
    with op.batch_alter_table(OUTBOX, schema=None) as batch_op:
        batch_op.drop_index(OUTBOX_UNPUBLISHED_INDEX)
    op.drop_table(OUTBOX)
    op.drop_table(INBOX)
