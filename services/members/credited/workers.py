"""The pruning of old credited days, which every instance may do (deleting what is already gone
deletes nothing)."""

import asyncio
import logging

from services.common.events.envelope import utc_now
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.members.credited import repository

logger = logging.getLogger(__name__)


def credited_pruning_worker(*, keep_days: int, interval_seconds: float) -> WorkerSpec:
    async def prune_forever(runtime: ServiceRuntime) -> None:
        while not runtime.stopping.is_set():
            async with runtime.unit_of_work() as uow:
                deleted = await repository.prune_credited_days(
                    uow.session, today=utc_now().date(), keep_days=keep_days
                )
            if deleted:
                logger.info("pruned %d credited days no tier-policy window reaches", deleted)
            await asyncio.sleep(interval_seconds)

    return WorkerSpec(name="credited-days pruning", run=prune_forever)
