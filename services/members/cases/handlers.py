"""The content service's answer to a case resolved `archive_content` (consumer group
`members.cases`): content.archived naming the case is noted on it."""

from services.common.events.catalogue import ContentArchived
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.members.cases.service import record_archived


async def on_content_archived(uow: UnitOfWork, event: ContentArchived, _: CloudEvent) -> None:
    if event.case_id is None:
        return  # an editor took it off the calendar: no case to tell
    await record_archived(
        uow=uow,
        community_id=event.community_id,
        case_id=event.case_id,
        content_id=event.content_id,
        author=event.author_member_id,
    )


CASES_CONSUMER = ConsumerSpec(
    group_id="members.cases", handlers={ContentArchived: on_content_archived}
)
