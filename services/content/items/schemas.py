"""Request and response shapes of the content items (and the field types other features'
shapes share: title, body, tiers)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from services.common.fields import NoNul, ResourceId
from services.content.engagement.schemas import Engagement
from services.content.items.rules import ContentKind, ContentSource, ContentStatus
from services.content.polls.schemas import PollOptions, PollPublic
from services.content.screening.schemas import ScreeningHitPublic
from services.content.tables import ContentItem

TITLE_MAX = 200
BODY_MAX = 50_000

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    NoNul,
]
# The body is kept exactly as sent (no stripping): whitespace can be part of the formatting.
Body = Annotated[str, StringConstraints(min_length=1, max_length=BODY_MAX), NoNul]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    NoNul,
]
Tags = Annotated[list[Tag], Field(max_length=20)]
TierIds = Annotated[list[ResourceId], Field(max_length=20)]


class ContentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ContentKind
    title: Title
    body: Body
    tags: Tags = []
    source: ContentSource
    author_member_id: ResourceId | None = None
    tier_ids: TierIds = []
    # A poll's choices: 2 to 10, distinct; only polls have them.
    poll_options: PollOptions = []


class ContentUpdate(BaseModel):
    """What PATCH may change while the item is a draft or rejected; absent fields stay."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    tags: Tags | None = None
    tier_ids: TierIds | None = None
    poll_options: PollOptions | None = None


class NoFields(BaseModel):
    """The body of an action that takes none: absent or `{}` (a malformed one is a 400, as on
    every write)."""

    model_config = ConfigDict(extra="forbid")


class ContentPublic(BaseModel):
    id: str
    community_id: str
    kind: ContentKind
    title: str
    body: str
    tags: list[str]
    source: ContentSource
    author_member_id: str | None
    author_erased: bool
    tier_ids: list[str]
    status: ContentStatus
    screening: list[ScreeningHitPublic]
    flagged: bool
    # User ids: shown to staff and to the user themself, null to other members.
    reviewed_by: str | None = Field(
        description="Deprecated: the same user id as `reviewed_by_user_id`.",
        json_schema_extra={"deprecated": True},
    )
    review_reason: str | None
    publish_at: datetime | None
    published_at: datetime | None
    late: bool
    series_id: str | None
    poll: PollPublic | None
    engagement: Engagement
    created_by: str | None = Field(
        description="Deprecated: the same user id as `created_by_user_id`.",
        json_schema_extra={"deprecated": True},
    )
    created_at: datetime
    updated_at: datetime

    # Named for what they hold, beside `author_member_id` (a member id): who acted, as a user.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def reviewed_by_user_id(self) -> str | None:
        return self.reviewed_by

    @computed_field  # type: ignore[prop-decorator]
    @property
    def created_by_user_id(self) -> str | None:
        return self.created_by

    def seen_by(self, *, user_id: str, staff: bool) -> "ContentPublic":
        """The item as a caller sees it: others' user ids only when they are staff."""
        if staff:
            return self
        return self.model_copy(
            update={
                name: value if value == user_id else None
                for name, value in (
                    ("created_by", self.created_by),
                    ("reviewed_by", self.reviewed_by),
                )
            }
        )

    @classmethod
    def of(cls, item: ContentItem, results: dict[str, int] | None = None) -> "ContentPublic":
        poll = None
        if item.kind == ContentKind.POLL:
            counts = None
            if results is not None:
                counts = {option: results.get(option, 0) for option in item.poll_options}
            poll = PollPublic(
                options=list(item.poll_options),
                results=counts,
                votes=sum(counts.values()) if counts is not None else None,
            )
        fields: dict[str, Any] = {
            name: getattr(item, name)
            for name in cls.model_fields
            if name not in {"poll", "engagement", "screening"}
        }
        return cls(
            **fields,
            screening=[ScreeningHitPublic(**hit) for hit in item.screening],
            poll=poll,
            engagement=Engagement(
                views=item.views,
                reactions=item.reactions,
                comments=item.comments,
                shares=item.shares,
            ),
        )
