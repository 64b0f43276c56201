"""Request and response shapes of the content API."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.content.domain.models import ContentKind, ContentSource, ContentStatus

ID_PATTERN = r"^[A-Za-z0-9_-]+$"


def _without_nul(text: str) -> str:
    # PostgreSQL text cannot hold U+0000; refused here rather than failing in the database.
    if "\x00" in text:
        raise ValueError("must not contain the NUL character (U+0000)")
    return text


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_without_nul),
]
# The body is kept exactly as sent (no stripping): whitespace can be part of the formatting.
Body = Annotated[
    str, StringConstraints(min_length=1, max_length=50_000), AfterValidator(_without_nul)
]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    AfterValidator(_without_nul),
]
ObjectId = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=ID_PATTERN)]


class ContentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ContentKind
    title: Title
    body: Body
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    source: ContentSource
    author_member_id: ObjectId | None = None
    tier_ids: Annotated[list[ObjectId], Field(max_length=20)] = []


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
