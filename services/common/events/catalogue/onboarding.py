"""Events of the member journey's first steps: versioned rules and their acknowledgements (the
members service), and a member's onboarding checklist completed (the scoring service, which
sees every activity the checklist counts)."""

from datetime import datetime

from services.common.events.catalogue.base import DomainEvent, register


@register
class RulesPublished(DomainEvent):
    """A new version of a community's rules: from now on it is the one members acknowledge."""

    type = "rules.published"
    source = "members"
    subject_field = "community_id"

    community_id: str
    version: int
    title: str
    body: str
    # None when a platform admin (who is no member) published it.
    published_by_member_id: str | None = None
    published_at: datetime


@register
class MemberRulesAcknowledged(DomainEvent):
    """A member acknowledged the community's current rules version."""

    type = "member.rules_acknowledged"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    version: int
    acknowledged_at: datetime


@register
class MemberOnboarded(DomainEvent):
    """A member did every step of the community's onboarding checklist; announced once per
    membership. `onboarded_at` is when the last of `steps` was done."""

    type = "member.onboarded"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    member_id: str
    steps: list[str]
    onboarded_at: datetime
