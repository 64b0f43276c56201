"""Request and response shapes of the content API."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul, ResourceId
from services.content.domain.models import ContentKind, ContentSource, ContentStatus

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    NoNul,
]
# The body is kept exactly as sent (no stripping): whitespace can be part of the formatting.
Body = Annotated[str, StringConstraints(min_length=1, max_length=50_000), NoNul]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    NoNul,
]


class ContentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ContentKind
    title: Title
    body: Body
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    source: ContentSource
    author_member_id: ResourceId | None = None
    tier_ids: Annotated[list[ResourceId], Field(max_length=20)] = []


class ContentPublic(BaseModel):
    id: str
    community_id: str
    kind: ContentKind
    title: str
    body: str
    tags: list[str]
    source: ContentSource
    author_member_id: str | None
    tier_ids: list[str]
    status: ContentStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
