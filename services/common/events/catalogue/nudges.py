"""Win-back nudges' events (scoring service, `huoli.scoring`)."""

from datetime import datetime

from services.common.events.catalogue.base import DomainEvent, register


@register
class NudgeDue(DomainEvent):
    """A campaign nudges a member: the bot (a webhook) sends `text`, the campaign's template
    rendered for this member, to `user_id` on the community's platform. Members in the
    campaign's holdout and members nudged too recently (the frequency cap) get none."""

    type = "nudge.due"
    source = "scoring"
    subject_field = "member_id"

    community_id: str
    campaign_id: str
    member_id: str
    user_id: str
    display_name: str
    text: str
    nudged_at: datetime
