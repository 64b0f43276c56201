"""The gateway's own tables, in a metadata of its own (see services.common.db).

API keys and the communities each is limited to, the first answers to POSTs sent with an
Idempotency-Key, webhook endpoints with their deliveries and attempts, the membership
projection key and webhook management is authorized with, and the gateway's inbox and outbox.
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
    Text,
    UniqueConstraint,
)

from services.common.db import NAMING_CONVENTION, UtcDateTime
from services.common.events.tables import SequenceInteger, messaging_tables
from services.common.membership.tables import membership_tables

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

webhook_endpoint = Table(
    "webhook_endpoint",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("description", String(500), nullable=True),
    Column("event_types", JSON, nullable=False),
    # NULL: events of every community (only a platform admin subscribes so).
    Column("community_id", String(ID_LENGTH), nullable=True, index=True),
    # The signing secret (`whsec_…`) must be kept as it is to sign with; earlier secrets stay
    # valid until `expires_at` after a rotation: [{"secret", "expires_at"}].
    Column("secret", String(100), nullable=False),
    Column("previous_secrets", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(200), nullable=True),
    # When the deliveries started failing without a success since; NULL while healthy.
    Column("failing_since", UtcDateTime(), nullable=True),
    Column("created_by", String(USER_ID_LENGTH), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    # Creation order: deliveries of one community to one endpoint go out in this order.
    Column("seq", SequenceInteger, primary_key=True, autoincrement=True),
    Column("id", String(ID_LENGTH), nullable=False, unique=True),
    Column("endpoint_id", String(ID_LENGTH), nullable=False),
    # The event id: the `webhook-id` header, the same on every attempt.
    Column("event_id", String(ID_LENGTH), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("community_id", String(ID_LENGTH), nullable=False),
    Column("payload", Text, nullable=False),
    # pending → succeeded | failed (retries exhausted, or the endpoint disabled)
    Column("status", String(20), nullable=False),
    # Attempts in the current round (the retry schedule's position); a redelivery restarts it.
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # An event reaches an endpoint once, however often Kafka redelivers it.
    UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_endpoint_id_event_id"),
    Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    # The oldest pending delivery of each community to each endpoint, read off this index.
    Index("ix_webhook_delivery_head", "status", "endpoint_id", "community_id", "seq"),
    Index("ix_webhook_delivery_endpoint_id_id", "endpoint_id", "id"),
)

webhook_attempt = Table(
    "webhook_attempt",
    metadata,
    Column("seq", SequenceInteger, primary_key=True, autoincrement=True),
    Column("delivery_id", String(ID_LENGTH), nullable=False, index=True),
    Column("attempted_at", UtcDateTime(), nullable=False),
    # NULL when no answer came (refused, timed out, the address refused by the SSRF guard).
    Column("status_code", Integer, nullable=True),
    Column("error", String(500), nullable=True),
    Column("duration_ms", Integer, nullable=False),
)

membership = membership_tables(metadata)
messaging = messaging_tables(metadata)
