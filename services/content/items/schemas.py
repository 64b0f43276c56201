"""Request and response shapes of the content API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import NoNul, ResourceId, Timestamp
from services.content.domain.models import (
    ContentKind,
    ContentSource,
    ContentStatus,
    ScreeningAction,
)
from services.content.domain.publishing import parse_clock
from services.content.storage.tables import ContentItem

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
PollOption = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul
]


def _distinct(options: list[str]) -> list[str]:
    if len(set(options)) != len(options):
        raise ValueError("options must be distinct")
    return options


PollOptions = Annotated[list[PollOption], Field(max_length=10), AfterValidator(_distinct)]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), NoNul
]


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


class ContentReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class ContentSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Absent: the next free slot under the community's publishing rules.
    publish_at: Timestamp | None = None


class Engagement(BaseModel):
    views: int
    reactions: int
    comments: int
    shares: int


class ScreeningHitPublic(BaseModel):
    rule: str
    match: str


class PollPublic(BaseModel):
    options: list[str]
    # Live counts per option (every option listed, zero included); on GET of the item.
    results: dict[str, int] | None = None
    votes: int | None = None


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
    reviewed_by: str | None
    review_reason: str | None
    publish_at: datetime | None
    published_at: datetime | None
    late: bool
    series_id: str | None
    poll: PollPublic | None
    engagement: Engagement
    created_by: str
    created_at: datetime
    updated_at: datetime

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


# --- rules ------------------------------------------------------------------------------------


def _clock(text: str) -> str:
    parse_clock(text)
    return text


Clock = Annotated[str, StringConstraints(min_length=5, max_length=5), AfterValidator(_clock)]


def _sorted_distinct_clocks(slots: list[str]) -> list[str]:
    if len(set(slots)) != len(slots):
        raise ValueError("slots must be distinct")
    return sorted(slots)


class PublishingRulesPut(BaseModel):
    """The whole of a community's publishing rules (PUT replaces them)."""

    model_config = ConfigDict(extra="forbid")

    slots: Annotated[
        list[Clock], Field(min_length=1, max_length=24), AfterValidator(_sorted_distinct_clocks)
    ] = ["08:00", "12:30", "21:00"]
    max_per_day: Annotated[int, Field(ge=1, le=1000)] = 3
    min_gap_minutes: Annotated[int, Field(ge=0, le=1440)] = 120
    # [start, end] in the community's timezone, or null for none.
    quiet_hours: Annotated[list[Clock], Field(min_length=2, max_length=2)] | None = [
        "23:00",
        "07:00",
    ]


class PublishingRulesPublic(PublishingRulesPut):
    community_id: str
    timezone: str


Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Domain = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$",
    ),
]
ScreeningRule = Literal["ads", "abuse", "rumours", "custom"]


class ScreeningSettingsPut(BaseModel):
    """A community's screening: what a hit does, words added to the default lists per rule,
    and the link domains allowed (their subdomains too)."""

    model_config = ConfigDict(extra="forbid")

    action: ScreeningAction = ScreeningAction.REJECT
    words: Annotated[
        dict[ScreeningRule, Annotated[list[Word], Field(max_length=2000)]], Field(max_length=4)
    ] = {}
    allowed_domains: Annotated[list[Domain], Field(max_length=200)] = []


class ScreeningSettingsPublic(ScreeningSettingsPut):
    community_id: str


# --- series -----------------------------------------------------------------------------------


class SeriesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    kind: ContentKind
    # One RFC 5545 RRULE value, e.g. FREQ=DAILY;BYHOUR=8;BYMINUTE=0, read in the community's
    # timezone from starts_at.
    rrule: Annotated[str, StringConstraints(min_length=1, max_length=500), NoNul]
    # `{date}` becomes the occurrence's local date (YYYY-MM-DD).
    body_template: Body
    starts_at: Timestamp
    tier_ids: TierIds = []


class SeriesPublic(BaseModel):
    id: str
    community_id: str
    title: str
    kind: ContentKind
    rrule: str
    body_template: str
    tier_ids: list[str]
    starts_at: datetime
    materialized_until: datetime | None
    created_by: str
    created_at: datetime
    # Occurrences materialized by this request.
    materialized: int = 0


# --- polls ------------------------------------------------------------------------------------


class VoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: ResourceId
    option: PollOption


class VotePublic(BaseModel):
    content_id: str
    member_id: str
    option: str
    voted_at: datetime
    poll: PollPublic
