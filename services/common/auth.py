"""Who is calling, as the gateway established it.

The gateway authenticates people (JWT) and partners (API keys), strips any client-sent
`X-Actor-*` headers, and forwards the verified identity in them. Services trust only these
headers and are reachable only from inside the deployment.
"""

from typing import Annotated, Literal

from fastapi import Depends, Header
from pydantic import BaseModel

from services.common.errors import Unauthenticated

ACTOR_ID_HEADER = "X-Actor-Id"
ACTOR_KIND_HEADER = "X-Actor-Kind"
ACTOR_ROLES_HEADER = "X-Actor-Roles"


class Actor(BaseModel):
    id: str
    kind: Literal["user", "api_key"] = "user"
    roles: frozenset[str] = frozenset()

    @property
    def is_platform_admin(self) -> bool:
        return "platform_admin" in self.roles


# Not in the OpenAPI document: clients never send these; the gateway does.
async def _actor(
    actor_id: Annotated[str | None, Header(alias=ACTOR_ID_HEADER, include_in_schema=False)] = None,
    actor_kind: Annotated[
        str | None, Header(alias=ACTOR_KIND_HEADER, include_in_schema=False)
    ] = None,
    actor_roles: Annotated[
        str | None, Header(alias=ACTOR_ROLES_HEADER, include_in_schema=False)
    ] = None,
) -> Actor:
    if not actor_id:
        raise Unauthenticated("This call needs an authenticated caller.")
    roles = frozenset(role for role in (actor_roles or "").split(",") if role)
    kind: Literal["user", "api_key"] = "api_key" if actor_kind == "api_key" else "user"
    return Actor(id=actor_id, kind=kind, roles=roles)


ActorDep = Annotated[Actor, Depends(_actor)]
