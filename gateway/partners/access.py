"""What a partner's API key may call: the route's scope, and the communities it reaches.

The path's community is checked here; so is each item's community in a batch of activities.
Paths naming an object (an event, a content item) rather than its community are checked by the
service, which admits a partner only to the communities its signed identity lists.
"""

from typing import Any

import orjson
from starlette.requests import Request

from gateway.identity.auth import Identity
from gateway.partners.scopes import scope_needed
from services.common.errors import Forbidden

ACTIVITIES_PATH = "/v1/activities"


class NotForApiKeys(Forbidden):
    slug = "not-for-api-keys"


class ScopeRequired(Forbidden):
    slug = "scope-required"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This API key lacks the scope {scope!r}.", scope=scope)


class CommunityNotCovered(Forbidden):
    slug = "community-not-covered"

    def __init__(self, community_ids: list[str]) -> None:
        super().__init__(
            "This API key is not for these communities: " + ", ".join(community_ids) + ".",
            community_ids=community_ids,
        )


async def check_partner_call(request: Request, identity: Identity) -> None:
    """403 unless the key has the route's scope and reaches the communities it names."""
    method = "GET" if request.method == "HEAD" else request.method
    path: str = request.scope["path"]
    need = scope_needed(method, path)
    if need is None:
        raise NotForApiKeys(f"API keys may not call {request.method} {path}.")
    if need.scope not in identity.scopes:
        raise ScopeRequired(need.scope)
    if need.community_id is not None and not identity.covers(need.community_id):
        raise CommunityNotCovered([need.community_id])
    if path == ACTIVITIES_PATH and identity.communities is not None:
        outside = sorted(
            {cid for cid in _item_communities(await request.body()) if not identity.covers(cid)}
        )
        if outside:
            raise CommunityNotCovered(outside)


def _item_communities(body: bytes) -> set[str]:
    """The community ids a batch of activities names; what is not a batch is left to the
    service to refuse with its own 4xx."""
    try:
        items: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return set()
    if not isinstance(items, list):
        return set()
    return {
        item["community_id"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("community_id"), str)
    }
