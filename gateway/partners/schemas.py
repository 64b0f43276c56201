"""Request and response shapes of the gateway's own partner endpoints."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from gateway.partners.scopes import SCOPES
from services.common.fields import NoNul, ResourceId

MAX_KEY_COMMUNITIES = 100

KeyName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]


def _known_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; known scopes: {', '.join(sorted(SCOPES))}")
    return scope


Scope = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_scope)]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KeyName
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES))
    # Absent: every community (platform admins only). Others must name the communities they
    # own or administer.
    community_ids: list[ResourceId] | None = Field(
        default=None, min_length=1, max_length=MAX_KEY_COMMUNITIES
    )


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    scopes: list[str]
    # None: the key acts in every community.
    community_ids: list[str] | None
    created_by: str
    created_at: datetime


class ApiKeyCreated(ApiKeyPublic):
    # Shown this once: only its SHA-256 digest is stored.
    key: str


class ScopePublic(BaseModel):
    name: str
    description: str
