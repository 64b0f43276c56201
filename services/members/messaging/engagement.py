"""The engagement projection's consumer (group `members.engagement`): the tier policy ranks
members by what they did, read from `activity.recorded`, never by calling scoring.

The weights are scoring's documented defaults (API.md activity types), kept here as one small
table: the projection ranks members within one community, so only the proportions matter.
"""

from collections.abc import Mapping

from services.common.events.catalogue import ActivityRecorded
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.members.storage import engagement

ENGAGEMENT_WEIGHTS: Mapping[str, float] = {
    "message": 1.0,
    "reply": 2.0,
    "reaction": 0.5,
    "share": 3.0,
    "content_view": 0.2,
    "checkin": 5.0,
    "invite_accepted": 10.0,
}


async def on_activity(uow: UnitOfWork, event: ActivityRecorded, _: CloudEvent) -> None:
    # An unknown type is worth nothing but still counts as activity (the purge asks only that).
    await engagement.add_activity(
        uow.session,
        community_id=event.community_id,
        member_id=event.member_id,
        occurred_at=event.occurred_at,
        points=ENGAGEMENT_WEIGHTS.get(event.activity_type, 0.0),
    )


ENGAGEMENT_CONSUMER = ConsumerSpec(
    group_id="members.engagement", handlers={ActivityRecorded: on_activity}
)
