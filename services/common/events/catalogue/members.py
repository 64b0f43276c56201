"""Events the members service publishes."""

from datetime import datetime

from services.common.events.catalogue.base import DomainEvent, register


@register
class CommunityCreated(DomainEvent):
    type = "community.created"
    source = "members"
    subject_field = "community_id"

    community_id: str
    name: str
    topic: str | None = None
    join_policy: str
    timezone: str
    owner_user_id: str
    created_at: datetime


@register
class MemberJoined(DomainEvent):
    type = "member.joined"
    source = "members"
    subject_field = "member_id"

    community_id: str
    member_id: str
    user_id: str
    display_name: str
    status: str
    role: str
    tier_id: str | None = None
    invited_by: str | None = None
    joined_at: datetime
