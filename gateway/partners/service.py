"""API keys: who may make, see and revoke them.

A platform admin manages every key and may make one for all communities. Anyone else makes
keys limited to communities they own or administer (as the gateway's membership projection
knows them), and sees and revokes the keys whose every community they own or administer.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.auth import Identity
from gateway.partners import repository
from gateway.partners.keys import digest, new_api_key
from gateway.partners.repository import ApiKeyRow
from gateway.partners.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.membership.access import CommunityNotFound, RoleRequired
from services.common.membership.tables import ADMIN, OWNER
from services.common.pagination import PageParams

KEY_MANAGERS = frozenset({OWNER, ADMIN})


class ApiKeyNotFound(NotFound):
    slug = "api-key-not-found"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"No API key {key_id!r}.", key_id=key_id)


class PeopleOnly(Forbidden):
    slug = "people-only"

    def __init__(self) -> None:
        super().__init__("API keys cannot manage API keys or webhooks; sign in as a person.")


async def manages_communities(
    session: AsyncSession, *, caller: Identity, community_ids: Iterable[str]
) -> None:
    """404 for a community the caller does not belong to (or that does not exist), 403 for
    one where they are neither owner nor admin."""
    wanted = sorted(set(community_ids))
    roles = await repository.roles_in(session, user_id=caller.subject, community_ids=wanted)
    for community_id in wanted:
        if community_id not in roles:
            raise CommunityNotFound(community_id)
    for community_id in wanted:
        if roles[community_id] not in KEY_MANAGERS:
            raise RoleRequired(KEY_MANAGERS)


async def create_api_key(
    *, session: AsyncSession, caller: Identity, api_key_create: ApiKeyCreate
) -> ApiKeyCreated:
    """Make a key, limited to the given communities (or all, for a platform admin)."""
    community_ids = api_key_create.community_ids
    if community_ids is None:
        if not caller.is_platform_admin:
            raise InvalidInput(
                "Name the communities the key is for (community_ids); only platform admins "
                "make keys for every community.",
                field="community_ids",
            )
    elif not caller.is_platform_admin:
        await manages_communities(session, caller=caller, community_ids=community_ids)
    key_id, key = new_api_key()
    values: dict[str, Any] = {
        "id": key_id,
        "name": api_key_create.name,
        "secret_hash": digest(key),
        "scopes": sorted(set(api_key_create.scopes)),
        "all_communities": community_ids is None,
        "created_by": caller.subject,
        "created_at": datetime.now(UTC),
    }
    await repository.add_api_key(session, values=values, community_ids=community_ids or ())
    return ApiKeyCreated(
        **_public(values, sorted(set(community_ids)) if community_ids else None).model_dump(),
        key=key,
    )


def _public(row: Any, community_ids: list[str] | None) -> ApiKeyPublic:
    get = row.get if isinstance(row, dict) else row._mapping.get
    return ApiKeyPublic(
        id=get("id"),
        name=get("name"),
        scopes=list(get("scopes") or ()),
        community_ids=None if get("all_communities") else community_ids,
        created_by=get("created_by"),
        created_at=get("created_at"),
    )


async def _administered(session: AsyncSession, caller: Identity) -> set[str] | None:
    """The communities whose keys the caller manages; None for all (a platform admin)."""
    if caller.is_platform_admin:
        return None
    roles = await repository.roles_in(session, user_id=caller.subject)
    return {cid for cid, role in roles.items() if role in KEY_MANAGERS}


def _manages(administered: set[str] | None, row: ApiKeyRow, communities: Sequence[str]) -> bool:
    if administered is None:
        return True
    return not row.all_communities and bool(communities) and set(communities) <= administered


async def list_api_keys(
    *, session: AsyncSession, caller: Identity, page: PageParams
) -> tuple[list[ApiKeyPublic], str | None]:
    """A page of the unrevoked keys the caller manages, and the id the next page starts after
    (None on the last page)."""
    administered = await _administered(session, caller)
    if administered is not None and not administered:
        return [], None
    rows = await repository.list_api_keys(
        session, community_ids=administered, after_id=page.after_id, limit=page.fetch_limit
    )
    next_after = rows[page.limit - 1].id if len(rows) > page.limit else None
    rows = rows[: page.limit]
    communities = await repository.communities_of_keys(session, [row.id for row in rows])
    keys = [
        _public(row, communities[row.id])
        for row in rows
        if _manages(administered, row, communities[row.id])
    ]
    return keys, next_after


async def revoke_api_key(*, session: AsyncSession, caller: Identity, key_id: str) -> None:
    """Revoke a key the caller manages; 404 for one they do not (or that does not exist)."""
    row = await repository.find_api_key(session, key_id)
    if row is None:
        raise ApiKeyNotFound(key_id)
    communities = (await repository.communities_of_keys(session, [key_id]))[key_id]
    if not _manages(await _administered(session, caller), row, communities):
        raise ApiKeyNotFound(key_id)
    await repository.revoke_api_key(session, key_id=key_id, revoked_at=datetime.now(UTC))
