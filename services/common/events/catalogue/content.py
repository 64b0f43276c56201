"""Events the content service publishes."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.common.events.catalogue.base import DomainEvent, register


@register
class ContentCreated(DomainEvent):
    type = "content.created"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    title: str
    source_kind: str
    author_member_id: str | None = None
    created_at: datetime


# The events below are the contract scoring credits activities from (content_published,
# ugc_approved, poll vote); the content service may add optional fields, never remove these.


@register
class ContentApproved(DomainEvent):
    """A reviewer approved an item; scoring credits `ugc_approved` when `source_kind` is member."""

    type = "content.approved"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    source_kind: str
    author_member_id: str | None = None
    approved_by: str
    approved_at: datetime


@register
class ContentPublished(DomainEvent):
    """An item went out; `late` when the publisher fired after its scheduled time (downtime);
    `urgent` for an owner's or admin's urgent announcement, published at once."""

    type = "content.published"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    title: str
    source_kind: str
    author_member_id: str | None = None
    tier_ids: list[str] = []
    scheduled_at: datetime | None = None
    published_at: datetime
    late: bool = False
    urgent: bool = False


@register
class PollVoted(DomainEvent):
    type = "poll.voted"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    member_id: str
    option: str
    voted_at: datetime


class ScreeningHit(BaseModel):
    """One reason automated screening gave: the rule (ads, abuse, rumours, custom, link) and
    what matched (the listed word, or the link's host)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    match: str


@register
class ContentSubmitted(DomainEvent):
    """An item went to review (its screening passed, or flagged it for a human)."""

    type = "content.submitted"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    source_kind: str
    author_member_id: str | None = None
    submitted_by: str
    submitted_at: datetime


@register
class ContentFlagged(DomainEvent):
    """Screening found something and the community sends such items to a human reviewer."""

    type = "content.flagged"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    screening: list[ScreeningHit]
    flagged_at: datetime


@register
class ContentRejected(DomainEvent):
    """Rejected by screening (`rejected_by` null, `screening` the reasons) or by a reviewer."""

    type = "content.rejected"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    source_kind: str
    author_member_id: str | None = None
    rejected_by: str | None = None
    reason: str | None = None
    screening: list[ScreeningHit] = []
    rejected_at: datetime


@register
class ContentScheduled(DomainEvent):
    type = "content.scheduled"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    kind: str
    title: str
    tier_ids: list[str] = []
    publish_at: datetime
    series_id: str | None = None
    scheduled_by: str | None = None


@register
class ContentArchived(DomainEvent):
    """A published item was taken off the calendar; or, with `case_id`, a moderation case on it
    was resolved `archive_content` (then `archived_by` is the case's handler, and the item's
    author, `author_member_id`, is the one to tell)."""

    type = "content.archived"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    archived_by: str
    archived_at: datetime
    case_id: str | None = None
    author_member_id: str | None = None


@register
class ContentWithdrawn(DomainEvent):
    """An item that was not yet published will not be: deleted as a draft, an occurrence of a
    series paused or deleted, or the scheduled item of an author whose data was erased
    (`reason`: deleted, series_paused, series_deleted, author_erased)."""

    type = "content.withdrawn"
    source = "content"
    subject_field = "content_id"

    community_id: str
    content_id: str
    reason: str
    # The user who withdrew it; null when erasure did.
    withdrawn_by: str | None = None
    withdrawn_at: datetime
