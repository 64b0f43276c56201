"""The queries of webhook subscriptions and deliveries."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.tables import webhook_attempt, webhook_delivery, webhook_endpoint
from gateway.webhooks.rules import FAILED, PENDING

# The rows these queries return, named for the code that reads them.
EndpointRow = Row[Any]
DeliveryRow = Row[Any]


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


async def subscribers(session: AsyncSession, community_ids: Iterable[str]) -> list[Row[Any]]:
    """Enabled endpoints that take these communities' events (theirs, or every community's)."""
    endpoint = webhook_endpoint
    wanted = sorted({cid for cid in community_ids if cid})
    scope: list[ColumnElement[bool]] = [endpoint.c.community_id.is_(None)]
    if wanted:
        scope.append(endpoint.c.community_id.in_(wanted))
    query = select(endpoint).where(endpoint.c.enabled.is_(True), or_(*scope))
    return list((await session.execute(query)).all())


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record deliveries, skipping those already recorded (an event reaches an endpoint once,
    however often Kafka redelivers it)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        webhook_delivery
    ).on_conflict_do_nothing()
    await session.execute(statement, rows)


async def due_deliveries(session: AsyncSession, *, now: datetime, limit: int) -> list[Row[Any]]:
    """Pending deliveries whose time has come, each the oldest pending one of its community to
    its endpoint (so one community's events reach an endpoint in order), endpoint enabled."""
    query = (
        select(
            webhook_delivery,
            webhook_endpoint.c.url,
            webhook_endpoint.c.secret,
            webhook_endpoint.c.previous_secrets,
        )
        .select_from(_heads_joined())
        .where(webhook_delivery.c.next_attempt_at <= now, webhook_endpoint.c.enabled.is_(True))
        .order_by(webhook_delivery.c.seq)
        .limit(limit)
    )
    return list((await session.execute(query)).all())


async def earliest_due(session: AsyncSession) -> datetime | None:
    """When the next delivery that may be sent is due: the earliest among each community's
    oldest pending one per enabled endpoint (the others wait their turn anyway)."""
    query = (
        select(func.min(webhook_delivery.c.next_attempt_at))
        .select_from(_heads_joined())
        .where(webhook_endpoint.c.enabled.is_(True))
    )
    earliest: datetime | None = (await session.execute(query)).scalar()
    return earliest


def _heads() -> Any:
    delivery = webhook_delivery
    return (
        select(func.min(delivery.c.seq).label("seq"))
        .where(delivery.c.status == PENDING)
        .group_by(delivery.c.endpoint_id, delivery.c.community_id)
        .subquery()
    )


def _heads_joined() -> Any:
    heads = _heads()
    return webhook_delivery.join(heads, heads.c.seq == webhook_delivery.c.seq).join(
        webhook_endpoint, webhook_endpoint.c.id == webhook_delivery.c.endpoint_id
    )


async def lease_deliveries(
    session: AsyncSession, *, delivery_ids: list[str], now: datetime, until: datetime
) -> set[str]:
    """Take due deliveries for one attempt each (until `until`); the ids taken here, not by
    another replica meanwhile."""
    if not delivery_ids:
        return set()
    result = await session.execute(
        update(webhook_delivery)
        .where(
            webhook_delivery.c.id.in_(delivery_ids),
            webhook_delivery.c.status == PENDING,
            webhook_delivery.c.next_attempt_at <= now,
        )
        .values(next_attempt_at=until)
        .returning(webhook_delivery.c.id)
    )
    return set(result.scalars().all())


async def probe_heads(
    session: AsyncSession, *, now: datetime, probed_before: datetime, min_queue: int, limit: int
) -> list[Row[Any]]:
    """Of each failing endpoint with at least `min_queue` pending deliveries, its oldest head
    (the next of a community's deliveries) not due yet and not attempted since
    `probed_before`: what a probe of that endpoint sends."""
    delivery, endpoint = webhook_delivery, webhook_endpoint
    queued = (
        select(delivery.c.endpoint_id, func.count().label("queued"))
        .where(delivery.c.status == PENDING)
        .group_by(delivery.c.endpoint_id)
        .subquery()
    )
    query = (
        select(delivery, endpoint.c.url, endpoint.c.secret, endpoint.c.previous_secrets)
        .select_from(_heads_joined().join(queued, queued.c.endpoint_id == delivery.c.endpoint_id))
        .where(
            endpoint.c.enabled.is_(True),
            endpoint.c.failing_since.is_not(None),
            queued.c.queued >= min_queue,
            delivery.c.next_attempt_at > now,
            or_(delivery.c.last_attempt_at.is_(None), delivery.c.last_attempt_at <= probed_before),
        )
        .order_by(delivery.c.seq)
    )
    heads: dict[str, Row[Any]] = {}
    for row in (await session.execute(query)).all():
        heads.setdefault(row.endpoint_id, row)  # one probe per endpoint: its oldest head
    return list(heads.values())[:limit]


async def claim_probes(
    session: AsyncSession, *, delivery_ids: list[str], now: datetime, probed_before: datetime
) -> set[str]:
    """Take deliveries for a probe each (marking them attempted now); the ids taken here, not
    by another replica's probe meanwhile. Their schedule is left as it is."""
    if not delivery_ids:
        return set()
    delivery = webhook_delivery
    result = await session.execute(
        update(delivery)
        .where(
            delivery.c.id.in_(delivery_ids),
            delivery.c.status == PENDING,
            or_(delivery.c.last_attempt_at.is_(None), delivery.c.last_attempt_at <= probed_before),
        )
        .values(last_attempt_at=now)
        .returning(delivery.c.id)
    )
    return set(result.scalars().all())


async def pull_forward(session: AsyncSession, endpoint_ids: Iterable[str], *, now: datetime) -> int:
    """Make every pending delivery to these endpoints due now: they answer again, so what
    waited on the retry schedule goes at once (each community's still in order)."""
    delivery = webhook_delivery
    result = await session.execute(
        update(delivery)
        .where(
            delivery.c.endpoint_id.in_(sorted(set(endpoint_ids))),
            delivery.c.status == PENDING,
            delivery.c.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def find_endpoints(session: AsyncSession, endpoint_ids: Iterable[str]) -> dict[str, Row[Any]]:
    query = select(webhook_endpoint).where(webhook_endpoint.c.id.in_(sorted(set(endpoint_ids))))
    return {row.id: row for row in (await session.execute(query)).all()}


async def record_attempts(
    session: AsyncSession, *, attempts: list[dict[str, Any]], changes: list[dict[str, Any]]
) -> None:
    """Log attempts and move their deliveries on (`changes`: each delivery's new state, keyed
    by `delivery_id`), each in one statement."""
    await session.execute(insert(webhook_attempt), attempts)
    delivery = webhook_delivery
    await session.execute(
        update(delivery)
        .where(delivery.c.id == bindparam("delivery_id"))
        .values(
            status=bindparam("new_status"),
            attempts=bindparam("new_attempts"),
            next_attempt_at=bindparam("new_next_attempt_at"),
            last_attempt_at=bindparam("new_last_attempt_at"),
            last_status_code=bindparam("new_last_status_code"),
        )
        .execution_options(synchronize_session=False),
        changes,
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


async def prune_deliveries(session: AsyncSession, *, created_before: datetime) -> int:
    """Forget finished deliveries (and their attempts) older than the log is kept."""
    old = select(webhook_delivery.c.id).where(
        webhook_delivery.c.status != PENDING, webhook_delivery.c.created_at < created_before
    )
    await session.execute(webhook_attempt.delete().where(webhook_attempt.c.delivery_id.in_(old)))
    result = await session.execute(
        webhook_delivery.delete().where(
            webhook_delivery.c.status != PENDING, webhook_delivery.c.created_at < created_before
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
