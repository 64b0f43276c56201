"""The engagement projection's consumer (group `members.engagement`): the tier policy ranks
members by what they did, read from `activity.recorded`, never by calling scoring.

The weights are the shared vocabulary's DEFAULT_WEIGHTS, scoring's defaults too: the projection
ranks members within one community, so only the proportions matter.
"""

from services.common.events.catalogue import ActivityRecorded, SegmentChanged
from services.common.events.catalogue.vocabulary import DEFAULT_WEIGHTS
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.members.engagement import repository


async def on_activity(uow: UnitOfWork, event: ActivityRecorded, _: CloudEvent) -> None:
    # An unknown type is worth nothing but still counts as activity (the purge asks only that).
    await repository.add_activity(
        uow.session,
        community_id=event.community_id,
        member_id=event.member_id,
        occurred_at=event.occurred_at,
        points=DEFAULT_WEIGHTS.get(event.activity_type, 0.0),
    )


ENGAGEMENT_CONSUMER = ConsumerSpec(
    group_id="members.engagement", handlers={ActivityRecorded: on_activity}
)


async def on_segment_changed(uow: UnitOfWork, event: SegmentChanged, _: CloudEvent) -> None:
    await repository.set_segment(
        uow.session,
        community_id=event.community_id,
        member_id=event.member_id,
        segment=event.segment,
    )


# Its own group: the segments arrive on huoli.scoring, the activities on huoli.activities.
SEGMENTS_CONSUMER = ConsumerSpec(
    group_id="members.segments", handlers={SegmentChanged: on_segment_changed}
)
