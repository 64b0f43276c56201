"""The suggestion box's events (content service, `huoli.content`).

There is no `suggestion.voted`: a +1 is a light gesture that can be taken back, so an event per
+1 and per take-back would flood webhooks with noise; the count is read on the suggestion, and
`suggestion.status_changed` carries it when staff decide.
"""

from datetime import datetime

from services.common.events.catalogue.base import DomainEvent, register


@register
class SuggestionCreated(DomainEvent):
    """A member posted a suggestion."""

    type = "suggestion.created"
    source = "content"
    subject_field = "suggestion_id"

    community_id: str
    suggestion_id: str
    author_member_id: str
    title: str
    created_at: datetime


@register
class SuggestionStatusChanged(DomainEvent):
    """Staff set a suggestion's status (new, under_review, planned, done, declined), with
    their reply to the author; `votes` is the count of +1s at that moment."""

    type = "suggestion.status_changed"
    source = "content"
    subject_field = "suggestion_id"

    community_id: str
    suggestion_id: str
    author_member_id: str
    previous_status: str
    status: str
    reply: str | None = None
    votes: int
    changed_by: str
    changed_at: datetime


@register
class SuggestionWithdrawn(DomainEvent):
    """The author withdrew their suggestion while it was still new."""

    type = "suggestion.withdrawn"
    source = "content"
    subject_field = "suggestion_id"

    community_id: str
    suggestion_id: str
    author_member_id: str
    withdrawn_at: datetime
