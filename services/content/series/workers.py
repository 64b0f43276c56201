"""The series materializer: keeps every series' occurrences made as the window moves."""

import asyncio
import logging
from datetime import timedelta

from services.common.events.envelope import utc_now
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.content.series import service
from services.content.settings import ContentSettings

logger = logging.getLogger(__name__)


async def materialize_once(runtime: ServiceRuntime, settings: ContentSettings) -> int:
    """One pass over every series; returns how many occurrences were made."""
    async with runtime.unit_of_work() as uow:
        return await service.materialize_all_series(
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
