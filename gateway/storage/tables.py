"""The gateway's own tables, in a metadata of its own (see services.common.db).

API keys and the communities each is limited to, the first answers to POSTs sent with an
Idempotency-Key, the membership projection key management is authorized with, and the inbox
of the gateway's consumers.
"""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

from services.common.db import NAMING_CONVENTION, UtcDateTime
from services.common.events.tables import messaging_tables
from services.common.membership import membership_tables

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID_LENGTH = 64
USER_ID_LENGTH = 128

api_key = Table(
    "api_key",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("name", String(200), nullable=False),
    # SHA-256 of the whole key, hex: the key itself is shown once and never stored.
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", JSON, nullable=False),
    # True: the key acts in every community (only a platform admin makes such keys).
    Column("all_communities", Boolean, nullable=False),
    Column("created_by", String(USER_ID_LENGTH), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

api_key_community = Table(
    "api_key_community",
    metadata,
    Column("key_id", String(ID_LENGTH), primary_key=True),
    Column("community_id", String(ID_LENGTH), primary_key=True),
    # Listing the keys of the communities someone administers starts from the community.
    Index("ix_api_key_community_community_id", "community_id"),
)

idempotency_record = Table(
    "idempotency_record",
    metadata,
    # Keys are the caller's own: two callers may use the same one.
    Column("principal", String(200), primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    # SHA-256 over the method, path, query and body: the same key with another request is a 409.
    Column("request_hash", String(64), nullable=False),
    # NULL while the first request is in flight (the claim); the answer once it came.
    Column("status_code", Integer, nullable=True),
    Column("response_headers", JSON, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_idempotency_record_expires_at", "expires_at"),
)

membership = membership_tables(metadata)
messaging = messaging_tables(metadata)
