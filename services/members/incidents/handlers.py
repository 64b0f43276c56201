"""Early warnings from scoring (`health.alert_raised`) that open incidents where a community
lets them (consumer group `members.alerts`)."""

from services.common.events.catalogue import HealthAlertRaised
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.members.incidents.service import open_from_alert


async def on_alert(uow: UnitOfWork, event: HealthAlertRaised, envelope: CloudEvent) -> None:
    # The alert's envelope id is what the incident links (alerts have no id of their own).
    summary = f"{event.kind}: {event.value} against {event.previous_value} ({event.week_starts_on})"
    await open_from_alert(
        uow,
        community_id=event.community_id,
        alert_id=envelope.id,
        alert_kind=event.kind,
        summary=summary,
    )


ALERTS_CONSUMER = ConsumerSpec(group_id="members.alerts", handlers={HealthAlertRaised: on_alert})
