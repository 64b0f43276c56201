"""The publisher: publishes scheduled items when their time comes."""

import asyncio
import logging
from datetime import timedelta

from services.common.events.envelope import utc_now
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.content.scheduling import repository, service
from services.content.settings import ContentSettings

logger = logging.getLogger(__name__)


async def publish_due_once(runtime: ServiceRuntime, settings: ContentSettings) -> int:
    """One publisher pass: claim and publish what is due; returns how many were published."""
    now = utc_now()
    # A look on the read engine first: most passes find nothing and need no write lock.
    async with runtime.read_sessions() as session:
        if not await repository.any_due(session, now):
            return 0
    async with runtime.unit_of_work() as uow:
        return await service.publish_due_items(
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
