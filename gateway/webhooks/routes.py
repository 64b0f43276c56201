"""The gateway's own /v1 endpoints for webhooks and the event catalogue."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from gateway.identity.auth import Identity
from gateway.identity.edge import identity_of
from gateway.partners.routes import PersonDep
from gateway.webhooks import service
from gateway.webhooks.schemas import (
    GATEWAY_EVENT_TYPES,
    DeliveryPublic,
    EventTypeList,
    EventTypePublic,
    PingSent,
    RedeliverFailed,
    Redelivery,
    WebhookCreate,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)
from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.db import on_commit
from services.common.events.catalogue import EVENT_TYPES
from services.common.pagination import Page
from services.common.unit_of_work import UnitOfWork

router = APIRouter(tags=["webhooks"])

DeliveryStatus = Literal["pending", "succeeded", "failed"]


async def _caller(request: Request) -> Identity:
    return identity_of(request.scope)


CallerDep = Annotated[Identity, Depends(_caller)]


def _allow_private(request: Request) -> bool:
    allowed: bool = request.app.state.runtime.settings.webhook_allow_private_urls
    return allowed


def _wake_sender(request: Request, uow: UnitOfWork) -> None:
    """Wake the sender once the new or reset deliveries are committed."""
    on_commit(uow.session, request.app.state.runtime.webhooks.wake)


@router.get("/event-types")
async def list_event_types(_caller: CallerDep) -> EventTypeList:
    """Every event type webhooks deliver, with the JSON Schema of its `data`."""
    items = [
        EventTypePublic(type=name, source=event.source, schema_=event.model_json_schema())
        for name, event in sorted(EVENT_TYPES.items())
    ]
    items += [
        EventTypePublic(type=name, source="gateway", schema_=event.model_json_schema())
        for name, event in sorted(GATEWAY_EVENT_TYPES.items())
    ]
    return EventTypeList(items=items)


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
async def create_webhook(
    webhook_create: WebhookCreate, caller: PersonDep, uow: UnitOfWorkDep, request: Request
) -> WebhookWithSecret:
    """Subscribe an endpoint; its signing secret (`whsec_…`) is in this answer."""
    return await service.create_webhook(
        session=uow.session,
        caller=caller,
        webhook_create=webhook_create,
        allow_private=_allow_private(request),
    )


@router.get("/webhooks")
async def list_webhooks(
    caller: PersonDep, session: ReadSessionDep, page: PageDep
) -> Page[WebhookPublic]:
    webhooks = await service.list_webhooks(session=session, caller=caller, page=page)
    return Page[WebhookPublic].of(webhooks, limit=page.limit, id_of=lambda w: w.id)


@router.get("/webhooks/{webhook_id}")
async def get_webhook(
    webhook_id: PathId, caller: PersonDep, session: ReadSessionDep
) -> WebhookPublic:
    row = await service.get_managed(session, caller=caller, webhook_id=webhook_id)
    return service.public(row)


@router.patch("/webhooks/{webhook_id}")
async def update_webhook(
    webhook_id: PathId,
    webhook_update: WebhookUpdate,
    caller: PersonDep,
    uow: UnitOfWorkDep,
    request: Request,
) -> WebhookPublic | WebhookWithSecret:
    """Change the URL, event types, description or state; `rotate_secret` returns a new
    secret and keeps the old one signing for 24 hours."""
    updated = await service.update_webhook(
        session=uow.session,
        caller=caller,
        webhook_id=webhook_id,
        webhook_update=webhook_update,
        allow_private=_allow_private(request),
    )
    _wake_sender(request, uow)
    return updated


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(webhook_id: PathId, caller: PersonDep, uow: UnitOfWorkDep) -> Response:
    await service.delete_webhook(session=uow.session, caller=caller, webhook_id=webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhooks/{webhook_id}/deliveries")
async def list_deliveries(
    webhook_id: PathId,
    caller: PersonDep,
    session: ReadSessionDep,
    page: PageDep,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
) -> Page[DeliveryPublic]:
    """The delivery log: each delivery with its attempts, status codes and times."""
    deliveries = await service.list_deliveries(
        session=session, caller=caller, webhook_id=webhook_id, status=delivery_status, page=page
    )
    return Page[DeliveryPublic].of(deliveries, limit=page.limit, id_of=lambda d: d.id)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
)
async def redeliver(
    webhook_id: PathId,
    delivery_id: PathId,
    caller: PersonDep,
    uow: UnitOfWorkDep,
    request: Request,
) -> Redelivery:
    """Send one delivery again, from the start of the retry schedule."""
    count = await service.redeliver_one(
        session=uow.session, caller=caller, webhook_id=webhook_id, delivery_id=delivery_id
    )
    _wake_sender(request, uow)
    return Redelivery(redelivered=count)


@router.post("/webhooks/{webhook_id}/redeliver", status_code=status.HTTP_202_ACCEPTED)
async def redeliver_failed(
    webhook_id: PathId,
    redeliver_failed: RedeliverFailed,
    caller: PersonDep,
    uow: UnitOfWorkDep,
    request: Request,
) -> Redelivery:
    """Send again every delivery that failed, of those created since `since`."""
    count = await service.redeliver_failed(
        session=uow.session, caller=caller, webhook_id=webhook_id, since=redeliver_failed.since
    )
    _wake_sender(request, uow)
    return Redelivery(redelivered=count)


@router.post("/webhooks/{webhook_id}/ping", status_code=status.HTTP_202_ACCEPTED)
async def ping(
    webhook_id: PathId, caller: PersonDep, uow: UnitOfWorkDep, request: Request
) -> PingSent:
    """Queue a `webhook.ping` to the endpoint."""
    delivery_id, event_id = await service.ping(
        session=uow.session, caller=caller, webhook_id=webhook_id
    )
    _wake_sender(request, uow)
    return PingSent(delivery_id=delivery_id, event_id=event_id)
