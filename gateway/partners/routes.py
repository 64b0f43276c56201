"""The gateway's own /v1 endpoints for partners: API keys (and the scope catalogue)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from gateway.identity.auth import Identity
from gateway.identity.edge import identity_of
from gateway.partners import service
from gateway.partners.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from gateway.partners.service import PeopleOnly
from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.pagination import Page, encode_cursor

router = APIRouter(tags=["partners"])


async def _person(request: Request) -> Identity:
    """The signed-in person; partners' keys may not manage keys or webhooks."""
    identity = identity_of(request.scope)
    if identity.is_partner:
        raise PeopleOnly()
    return identity


PersonDep = Annotated[Identity, Depends(_person)]


@router.post("/api-keys", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    api_key_create: ApiKeyCreate, caller: PersonDep, uow: UnitOfWorkDep
) -> ApiKeyCreated:
    """Make an API key; the key is in this answer only (it is stored hashed)."""
    return await service.create_api_key(
        session=uow.session, caller=caller, api_key_create=api_key_create
    )


@router.get("/api-keys")
async def list_api_keys(
    caller: PersonDep, session: ReadSessionDep, page: PageDep
) -> Page[ApiKeyPublic]:
    """The unrevoked keys the caller manages, without their secrets."""
    keys, next_after = await service.list_api_keys(session=session, caller=caller, page=page)
    return Page[ApiKeyPublic](
        items=keys, next_cursor=encode_cursor([next_after]) if next_after else None
    )


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(
    key_id: PathId, caller: PersonDep, uow: UnitOfWorkDep, request: Request
) -> Response:
    """Revoke a key: it stops working at once here, within seconds on other replicas."""
    await service.revoke_api_key(session=uow.session, caller=caller, key_id=key_id)
    request.app.state.runtime.keys.forget()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
