"""Events the gateway publishes (its webhook endpoints' lifecycle)."""

from datetime import datetime

from services.common.events.catalogue.base import DomainEvent, register


@register
class WebhookDisabled(DomainEvent):
    """An endpoint was disabled (it answered 410, or failed for 5 days). Webhooks send it to the
    other endpoints subscribed to it, of the same community or of every community."""

    type = "webhook.disabled"
    source = "gateway"
    subject_field = "webhook_id"

    webhook_id: str
    # None for an endpoint a platform admin subscribed to every community.
    community_id: str | None
    url: str
    reason: str
    disabled_at: datetime

    def community(self) -> str:
        # An endpoint of every community belongs to none: its events carry no partition key
        # (the outbox sends an empty key as none) rather than the string "None".
        return self.community_id or ""
