"""Webhook subscriptions: who may make and manage them, and what they may ask for.

As for API keys: a platform admin manages every endpoint and may subscribe to every
community's events; anyone else subscribes to a community they own or administer, and manages
the endpoints of such communities. Someone else's endpoint reads as none (404).

Also the fan-out itself (`fan_out`: one delivery per subscribed endpoint), which the consumer
(handlers.py) and the sender (workers.py, announcing a disabled endpoint) both use.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.auth import Identity
from gateway.partners import repository as key_repository
from gateway.partners.service import KEY_MANAGERS, manages_communities
from gateway.webhooks import repository
from gateway.webhooks.repository import EndpointRow
from gateway.webhooks.rules import Announced, new_delivery, payload, subscribed
from gateway.webhooks.schemas import (
    GATEWAY_EVENT_TYPES,
    AttemptPublic,
    DeliveryPublic,
    WebhookCreate,
    WebhookPing,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)
from gateway.webhooks.signing import new_secret
from gateway.webhooks.ssrf import checked_url, resolve_checked
from services.common.errors import InvalidInput, NotFound
from services.common.events.catalogue import EVENT_TYPES, WebhookDisabled
from services.common.events.outbox import Outbox
from services.common.ids import new_id
from services.common.pagination import PageParams

# How long a rotated-out secret still signs deliveries, so receivers can switch over.
ROTATION_OVERLAP = timedelta(hours=24)


class WebhookNotFound(NotFound):
    slug = "webhook-not-found"

    def __init__(self, webhook_id: str) -> None:
        super().__init__(f"No webhook {webhook_id!r}.", webhook_id=webhook_id)


class DeliveryNotFound(NotFound):
    slug = "delivery-not-found"

    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"No delivery {delivery_id!r}.", delivery_id=delivery_id)


def known_event_types() -> set[str]:
    return {*EVENT_TYPES, *GATEWAY_EVENT_TYPES}


def _checked_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - known_event_types() - {"*"})
    if unknown:
        raise InvalidInput(
            f"Unknown event types: {', '.join(unknown)}; GET /v1/event-types lists them.",
            field="event_types",
        )
    return sorted(set(event_types))


async def _checked_url(url: str, *, allow_private: bool) -> str:
    """Refuse a URL the sender would refuse: checked now for a clear 4xx, and again at every
    attempt, where it is what counts (a name may resolve elsewhere later)."""
    host = checked_url(url, allow_private=allow_private)
    await resolve_checked(host, 0, allow_private=allow_private)
    return url


def public(row: Any) -> WebhookPublic:
    get = row.get if isinstance(row, dict) else row._mapping.get
    return WebhookPublic(
        id=get("id"),
        url=get("url"),
        event_types=list(get("event_types") or ()),
        community_id=get("community_id"),
        description=get("description"),
        enabled=bool(get("enabled")),
        disabled_reason=get("disabled_reason"),
        failing_since=get("failing_since"),
        created_by=get("created_by"),
        created_at=get("created_at"),
        updated_at=get("updated_at"),
    )


async def create_webhook(
    *, session: AsyncSession, caller: Identity, webhook_create: WebhookCreate, allow_private: bool
) -> WebhookWithSecret:
    """Subscribe a URL to event types, of one community (or of all, for a platform admin)."""
    if webhook_create.community_id is None:
        if not caller.is_platform_admin:
            raise InvalidInput(
                "Name the community whose events to send (community_id); only platform admins "
                "subscribe to every community's.",
                field="community_id",
            )
    elif not caller.is_platform_admin:
        await manages_communities(
            session, caller=caller, community_ids=[webhook_create.community_id]
        )
    event_types = _checked_event_types(webhook_create.event_types)
    url = await _checked_url(webhook_create.url, allow_private=allow_private)
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": new_id("wh"),
        "url": url,
        "description": webhook_create.description,
        "event_types": event_types,
        "community_id": webhook_create.community_id,
        "secret": new_secret(),
        "previous_secrets": [],
        "enabled": True,
        "disabled_reason": None,
        "failing_since": None,
        "created_by": caller.subject,
        "created_at": now,
        "updated_at": now,
    }
    await repository.add_endpoint(session, values)
    return WebhookWithSecret(**public(values).model_dump(), secret=values["secret"])


async def _administered(session: AsyncSession, caller: Identity) -> set[str] | None:
    if caller.is_platform_admin:
        return None
    roles = await key_repository.roles_in(session, user_id=caller.subject)
    return {cid for cid, role in roles.items() if role in KEY_MANAGERS}


async def get_managed(session: AsyncSession, *, caller: Identity, webhook_id: str) -> EndpointRow:
    """The endpoint, if the caller manages it; WebhookNotFound otherwise."""
    row = await repository.find_endpoint(session, webhook_id)
    if row is None:
        raise WebhookNotFound(webhook_id)
    administered = await _administered(session, caller)
    if administered is not None and row.community_id not in administered:
        raise WebhookNotFound(webhook_id)
    return row


async def list_webhooks(
    *, session: AsyncSession, caller: Identity, page: PageParams
) -> list[WebhookPublic]:
    administered = await _administered(session, caller)
    if administered is not None and not administered:
        return []
    rows = await repository.list_endpoints(
        session, community_ids=administered, after_id=page.after_id, limit=page.fetch_limit
    )
    return [public(row) for row in rows]


async def update_webhook(
    *,
    session: AsyncSession,
    caller: Identity,
    webhook_id: str,
    webhook_update: WebhookUpdate,
    allow_private: bool,
) -> WebhookPublic | WebhookWithSecret:
    """Change an endpoint; rotating its secret returns the new one."""
    row = await get_managed(session, caller=caller, webhook_id=webhook_id)
    now = datetime.now(UTC)
    changes: dict[str, Any] = {"updated_at": now}
    if webhook_update.url is not None:
        changes["url"] = await _checked_url(webhook_update.url, allow_private=allow_private)
    if webhook_update.event_types is not None:
        changes["event_types"] = _checked_event_types(webhook_update.event_types)
    if "description" in webhook_update.model_fields_set:
        changes["description"] = webhook_update.description
    if webhook_update.enabled is not None and webhook_update.enabled != row.enabled:
        changes["enabled"] = webhook_update.enabled
        changes["disabled_reason"] = None if webhook_update.enabled else "disabled by a manager"
        changes["failing_since"] = None
    if webhook_update.rotate_secret:
        still_valid = [
            old
            for old in row.previous_secrets or []
            if datetime.fromisoformat(old["expires_at"]) > now
        ]
        expires_at = (now + ROTATION_OVERLAP).isoformat()
        changes["previous_secrets"] = [
            {"secret": row.secret, "expires_at": expires_at},
            *still_valid,
        ]
        changes["secret"] = new_secret()
    await repository.update_endpoint(session, webhook_id, changes)
    updated = public({**row._mapping, **changes})
    if webhook_update.rotate_secret:
        return WebhookWithSecret(**updated.model_dump(), secret=changes["secret"])
    return updated


async def delete_webhook(*, session: AsyncSession, caller: Identity, webhook_id: str) -> None:
    """Delete an endpoint with its delivery log."""
    await get_managed(session, caller=caller, webhook_id=webhook_id)
    await repository.delete_endpoint(session, webhook_id)


async def list_deliveries(
    *,
    session: AsyncSession,
    caller: Identity,
    webhook_id: str,
    status: str | None,
    page: PageParams,
) -> list[DeliveryPublic]:
    """The endpoint's deliveries, each with its attempts (status codes, times, errors)."""
    await get_managed(session, caller=caller, webhook_id=webhook_id)
    rows = await repository.list_deliveries(
        session,
        endpoint_id=webhook_id,
        status=status,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    attempts = await repository.attempts_of(session, [row.id for row in rows])
    return [
        DeliveryPublic(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            community_id=row.community_id,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_attempt_at=row.last_attempt_at,
            last_status_code=row.last_status_code,
            created_at=row.created_at,
            attempt_log=[
                AttemptPublic(
                    attempted_at=attempt.attempted_at,
                    status_code=attempt.status_code,
                    error=attempt.error,
                    duration_ms=attempt.duration_ms,
                )
                for attempt in attempts[row.id]
            ],
        )
        for row in rows
    ]


async def redeliver_one(
    *, session: AsyncSession, caller: Identity, webhook_id: str, delivery_id: str
) -> int:
    """Send one delivery again, from the start of the schedule (unless it is still pending)."""
    await get_managed(session, caller=caller, webhook_id=webhook_id)
    if (
        await repository.find_delivery(session, endpoint_id=webhook_id, delivery_id=delivery_id)
        is None
    ):
        raise DeliveryNotFound(delivery_id)
    return await repository.redeliver(
        session, endpoint_id=webhook_id, delivery_id=delivery_id, now=datetime.now(UTC)
    )


async def redeliver_failed(
    *, session: AsyncSession, caller: Identity, webhook_id: str, since: datetime
) -> int:
    """Send again every delivery that failed, among those created since `since`."""
    await get_managed(session, caller=caller, webhook_id=webhook_id)
    return await repository.redeliver(
        session, endpoint_id=webhook_id, failed_since=since, now=datetime.now(UTC)
    )


async def ping(*, session: AsyncSession, caller: Identity, webhook_id: str) -> tuple[str, str]:
    """Queue a `webhook.ping` to the endpoint; returns the delivery's and the event's ids."""
    row = await get_managed(session, caller=caller, webhook_id=webhook_id)
    now = datetime.now(UTC)
    event_id = new_id("evt")
    body = payload(WebhookPing.type, now, WebhookPing(webhook_id=webhook_id).model_dump())
    values = new_delivery(
        endpoint_id=webhook_id,
        event_id=event_id,
        event_type=WebhookPing.type,
        community_id=row.community_id or "",
        body=body,
        now=now,
    )
    await repository.add_deliveries(session, [values])
    return values["id"], event_id


async def fan_out(
    session: AsyncSession, events: Sequence[Announced], *, exclude: str | None = None
) -> int:
    """One delivery of each event per endpoint subscribed to it, in one statement; events
    already delivered to an endpoint are skipped. Returns how many deliveries were built."""
    endpoints = await repository.subscribers(
        session, {event.community_id or "" for event in events}
    )
    now = datetime.now(UTC)
    rows = [
        new_delivery(
            endpoint_id=endpoint.id,
            event_id=event.event_id,
            event_type=event.event_type,
            community_id=event.community_id or "",
            body=event.body,
            now=now,
        )
        for event in events
        for endpoint in endpoints
        if endpoint.id != exclude
        and endpoint.community_id in (None, event.community_id)
        and subscribed(list(endpoint.event_types), event.event_type)
    ]
    await repository.add_deliveries(session, rows)
    return len(rows)


async def announce_disabled(
    session: AsyncSession, outbox: Outbox, endpoint: EndpointRow, *, reason: str, now: datetime
) -> None:
    """`webhook.disabled`: on Kafka through the outbox, and to the other endpoints subscribed to
    it, both in the transaction that disables the endpoint. The delivery's webhook-id is the
    event's id, so a receiver can match it with the event as other consumers see it."""
    event = WebhookDisabled(
        webhook_id=endpoint.id,
        community_id=endpoint.community_id,
        url=endpoint.url,
        reason=reason,
        disabled_at=now,
    )
    envelope = await outbox.add(session, event, event_id=new_id("evt"), time=now)
    body = payload(WebhookDisabled.type, now, envelope.data)
    announcement = Announced(envelope.id, WebhookDisabled.type, endpoint.community_id, body)
    await fan_out(session, [announcement], exclude=endpoint.id)
