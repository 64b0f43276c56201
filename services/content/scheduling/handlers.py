"""The consumer of members' case.resolved (`content.cases`): a case resolved `archive_content`
on a content item archives it here."""

from services.common.events.catalogue import CaseResolved
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent
from services.common.unit_of_work import UnitOfWork
from services.content.scheduling.service import archive_for_case

# members' Resolution.ARCHIVE_CONTENT and TargetType.CONTENT, as they travel (services never
# import each other).
ARCHIVE_CONTENT = "archive_content"
CONTENT_TARGET = "content"


async def on_case_resolved(uow: UnitOfWork, event: CaseResolved, _: CloudEvent) -> None:
    if event.resolution != ARCHIVE_CONTENT or event.target_type != CONTENT_TARGET:
        return
    await archive_for_case(
        uow=uow,
        community_id=event.community_id,
        content_id=event.target_id,
        case_id=event.case_id,
        resolved_by=event.resolved_by,
    )


def cases_consumer(service_name: str) -> ConsumerSpec:
    return ConsumerSpec(group_id=f"{service_name}.cases", handlers={CaseResolved: on_case_resolved})
