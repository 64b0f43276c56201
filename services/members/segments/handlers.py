"""Members' engagement segments (consumer group `members.segments`): scoring owns the segment
and announces each change with `segment.changed`; members keep the latest, for `?segment=`."""

from services.common.events.catalogue import SegmentChanged
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.members.segments import repository


async def on_segment_changed(uow: UnitOfWork, event: SegmentChanged, _: CloudEvent) -> None:
    await repository.set_segment(
        uow.session,
        community_id=event.community_id,
        member_id=event.member_id,
        segment=event.segment,
    )


# Its own group: the segments arrive on huoli.scoring, apart from the credited points.
SEGMENTS_CONSUMER = ConsumerSpec(
    group_id="members.segments", handlers={SegmentChanged: on_segment_changed}
)
