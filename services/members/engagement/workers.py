"""The pruning of the engagement projection's old days, which every instance may do (deleting
what is already gone deletes nothing)."""

import asyncio
import logging

from services.common.events.envelope import utc_now
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.members.engagement import repository
from services.members.tier_policy.rules import Policy

logger = logging.getLogger(__name__)


def activity_pruning_worker(*, keep_days: int, interval_seconds: float) -> WorkerSpec:
    async def prune_forever(runtime: ServiceRuntime) -> None:
        defaults = Policy()
        while True:
            async with runtime.unit_of_work() as uow:
                deleted = await repository.prune_activity_days(
                    uow.session,
                    today=utc_now().date(),
                    keep_days=keep_days,
                    default_window_days=max(
                        defaults.promote_every_days, defaults.demote_every_days
                    ),
                )
            if deleted:
                logger.info("pruned %d engagement days no tier-policy window reaches", deleted)
            await asyncio.sleep(interval_seconds)

    return WorkerSpec(name="engagement pruning", run=prune_forever)
