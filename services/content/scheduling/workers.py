"""The content service's background work: the publisher, the series materializer, and the
consumers of other services' events (engagement from activities, erasure)."""

import asyncio
import logging
from datetime import timedelta

from services.common.events.catalogue import ActivityRecorded, UserErased
from services.common.events.consumer import ConsumerSpec
from services.common.events.envelope import CloudEvent, utc_now
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.common.unit_of_work import UnitOfWork
from services.content.domain import use_cases
from services.content.settings import ContentSettings
from services.content.storage import repository

logger = logging.getLogger(__name__)


async def publish_due_once(runtime: ServiceRuntime, settings: ContentSettings) -> int:
    """One publisher pass: claim and publish what is due; returns how many were published."""
    now = utc_now()
    # A look on the read engine first: most passes find nothing and need no write lock.
    async with runtime.read_sessions() as session:
        if not await repository.any_due(session, now):
            return 0
    async with runtime.unit_of_work() as uow:
        return await use_cases.publish_due_items(
            uow=uow,
            now=now,
            late_after=timedelta(seconds=settings.publisher_late_after_seconds),
            limit=settings.publisher_batch,
        )


def publisher(settings: ContentSettings) -> WorkerSpec:
    async def run(runtime: ServiceRuntime) -> None:
        while True:
            published = await publish_due_once(runtime, settings)
            if published:
                logger.info("published %d due items", published)
            if published < settings.publisher_batch:
                await asyncio.sleep(settings.publisher_poll_seconds)

    return WorkerSpec(name="content publisher", run=run)


async def materialize_once(runtime: ServiceRuntime, settings: ContentSettings) -> int:
    async with runtime.unit_of_work() as uow:
        return await use_cases.materialize_all_series(
            uow=uow, now=utc_now(), window=timedelta(days=settings.series_window_days)
        )


def series_materializer(settings: ContentSettings) -> WorkerSpec:
    async def run(runtime: ServiceRuntime) -> None:
        while True:
            made = await materialize_once(runtime, settings)
            if made:
                logger.info("materialized %d series occurrences", made)
            await asyncio.sleep(settings.series_poll_seconds)

    return WorkerSpec(name="content series", run=run)


async def on_activity(uow: UnitOfWork, event: ActivityRecorded, _: CloudEvent) -> None:
    await use_cases.count_activity(
        uow=uow,
        community_id=event.community_id,
        content_id=event.content_id,
        activity_type=event.activity_type,
    )


async def on_user_erased(uow: UnitOfWork, event: UserErased, _: CloudEvent) -> None:
    await use_cases.erase_author(
        uow=uow, community_id=event.community_id, member_id=event.member_id, user_id=event.user_id
    )


def content_consumers(service_name: str) -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            group_id=f"{service_name}.engagement", handlers={ActivityRecorded: on_activity}
        ),
        ConsumerSpec(group_id=f"{service_name}.erasure", handlers={UserErased: on_user_erased}),
    ]
