"""Releasing held activities: every instance polls; rows another instance is releasing are
skipped on PostgreSQL, and receipts make a second recording of one activity impossible."""

import asyncio
import logging

from services.common.runtime import ServiceRuntime, WorkerSpec
from services.scoring.ingestion.service import release_held

logger = logging.getLogger(__name__)


def held_activities_worker(poll_seconds: float) -> WorkerSpec:
    async def release_forever(runtime: ServiceRuntime) -> None:
        while not runtime.stopping.is_set():
            async with runtime.unit_of_work() as uow:
                released = await release_held(uow=uow)
            if released.recorded or released.refused:
                logger.info(
                    "held activities: %d recorded, %d refused", released.recorded, released.refused
                )
            await asyncio.sleep(poll_seconds)

    return WorkerSpec(name="held activities", run=release_forever)
