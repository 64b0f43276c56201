"""The queries of webhook subscriptions and deliveries."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gateway.storage.tables import webhook_attempt, webhook_delivery, webhook_endpoint
from services.common.db_ops import insert_if_absent

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


async def add_endpoint(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(webhook_endpoint).values(**values))


async def find_endpoint(session: AsyncSession, endpoint_id: str) -> Row[Any] | None:
    query = select(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id)
    return (await session.execute(query)).first()


async def update_endpoint(session: AsyncSession, endpoint_id: str, values: dict[str, Any]) -> None:
    await session.execute(
        update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(**values)
    )


async def delete_endpoint(session: AsyncSession, endpoint_id: str) -> None:
    deliveries = select(webhook_delivery.c.id).where(webhook_delivery.c.endpoint_id == endpoint_id)
    await session.execute(
        webhook_attempt.delete().where(webhook_attempt.c.delivery_id.in_(deliveries))
    )
    await session.execute(
        webhook_delivery.delete().where(webhook_delivery.c.endpoint_id == endpoint_id)
    )
    await session.execute(webhook_endpoint.delete().where(webhook_endpoint.c.id == endpoint_id))


async def list_endpoints(
    session: AsyncSession,
    *,
    community_ids: Iterable[str] | None,
    after_id: str | None,
    limit: int,
) -> list[Row[Any]]:
    """Endpoints by id; only those of `community_ids`, unless None (every endpoint)."""
    query = select(webhook_endpoint).order_by(webhook_endpoint.c.id)
    if community_ids is not None:
        query = query.where(webhook_endpoint.c.community_id.in_(sorted(set(community_ids))))
    if after_id is not None:
        query = query.where(webhook_endpoint.c.id > after_id)
    return list((await session.execute(query.limit(limit))).all())


async def subscribers(session: AsyncSession, community_id: str | None) -> list[Row[Any]]:
    """Enabled endpoints that take this community's events (theirs, or every community's)."""
    endpoint = webhook_endpoint
    scope: list[ColumnElement[bool]] = [endpoint.c.community_id.is_(None)]
    if community_id:
        scope.append(endpoint.c.community_id == community_id)
    query = select(endpoint).where(endpoint.c.enabled.is_(True), or_(*scope))
    return list((await session.execute(query)).all())


async def add_delivery(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Record a delivery; False if this event was already delivered to this endpoint."""
    return await insert_if_absent(session, webhook_delivery, values)


async def due_deliveries(session: AsyncSession, *, now: datetime, limit: int) -> list[Row[Any]]:
    """Pending deliveries whose time has come, each the oldest pending one of its community to
    its endpoint (so one community's events reach an endpoint in order), endpoint enabled."""
    delivery, earlier = webhook_delivery, aliased(webhook_delivery)
    blocked = (
        select(earlier.c.seq)
        .where(
            earlier.c.endpoint_id == delivery.c.endpoint_id,
            earlier.c.community_id == delivery.c.community_id,
            earlier.c.status == PENDING,
            earlier.c.seq < delivery.c.seq,
        )
        .exists()
    )
    query = (
        select(
            delivery,
            webhook_endpoint.c.url,
            webhook_endpoint.c.secret,
            webhook_endpoint.c.previous_secrets,
        )
        .join(webhook_endpoint, webhook_endpoint.c.id == delivery.c.endpoint_id)
        .where(
            delivery.c.status == PENDING,
            delivery.c.next_attempt_at <= now,
            webhook_endpoint.c.enabled.is_(True),
            ~blocked,
        )
        .order_by(delivery.c.seq)
        .limit(limit)
    )
    return list((await session.execute(query)).all())


async def earliest_pending(session: AsyncSession) -> datetime | None:
    """When the next pending delivery is due (the sender sleeps until then, or until woken)."""
    query = select(func.min(webhook_delivery.c.next_attempt_at)).where(
        webhook_delivery.c.status == PENDING
    )
    earliest: datetime | None = (await session.execute(query)).scalar()
    return earliest


async def lease_delivery(
    session: AsyncSession, *, delivery_id: str, seen_at: datetime, until: datetime
) -> bool:
    """Take a due delivery for one attempt (until `until`); False if another worker took it."""
    result = await session.execute(
        update(webhook_delivery)
        .where(
            webhook_delivery.c.id == delivery_id,
            webhook_delivery.c.status == PENDING,
            webhook_delivery.c.next_attempt_at == seen_at,
        )
        .values(next_attempt_at=until)
    )
    return bool(getattr(result, "rowcount", 0))


async def record_attempt(
    session: AsyncSession, *, attempt: dict[str, Any], delivery_id: str, changes: dict[str, Any]
) -> None:
    await session.execute(insert(webhook_attempt).values(**attempt))
    await session.execute(
        update(webhook_delivery).where(webhook_delivery.c.id == delivery_id).values(**changes)
    )


async def list_deliveries(
    session: AsyncSession,
    *,
    endpoint_id: str,
    status: str | None,
    after_id: str | None,
    limit: int,
) -> list[Row[Any]]:
    query = (
        select(webhook_delivery)
        .where(webhook_delivery.c.endpoint_id == endpoint_id)
        .order_by(webhook_delivery.c.id)
    )
    if status is not None:
        query = query.where(webhook_delivery.c.status == status)
    if after_id is not None:
        query = query.where(webhook_delivery.c.id > after_id)
    return list((await session.execute(query.limit(limit))).all())


async def attempts_of(
    session: AsyncSession, delivery_ids: Sequence[str]
) -> dict[str, list[Row[Any]]]:
    query = (
        select(webhook_attempt)
        .where(webhook_attempt.c.delivery_id.in_(list(delivery_ids)))
        .order_by(webhook_attempt.c.seq)
    )
    found: dict[str, list[Row[Any]]] = {delivery_id: [] for delivery_id in delivery_ids}
    for row in (await session.execute(query)).all():
        found[row.delivery_id].append(row)
    return found


async def find_delivery(
    session: AsyncSession, *, endpoint_id: str, delivery_id: str
) -> Row[Any] | None:
    query = select(webhook_delivery).where(
        webhook_delivery.c.id == delivery_id, webhook_delivery.c.endpoint_id == endpoint_id
    )
    return (await session.execute(query)).first()


async def redeliver(
    session: AsyncSession,
    *,
    endpoint_id: str,
    now: datetime,
    delivery_id: str | None = None,
    failed_since: datetime | None = None,
) -> int:
    """Send deliveries again from the start of the schedule: one (whatever its state, unless
    pending), or every failed one created since a time."""
    conditions = [webhook_delivery.c.endpoint_id == endpoint_id]
    if delivery_id is not None:
        conditions += [webhook_delivery.c.id == delivery_id, webhook_delivery.c.status != PENDING]
    if failed_since is not None:
        conditions += [
            webhook_delivery.c.status == FAILED,
            webhook_delivery.c.created_at >= failed_since,
        ]
    result = await session.execute(
        update(webhook_delivery)
        .where(and_(*conditions))
        .values(status=PENDING, attempts=0, next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
