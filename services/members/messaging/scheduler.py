"""The scheduled tier policy: every instance polls, and the (community, step, period) claim
in the database makes each period's run happen once, whichever instance gets there first. And
the pruning of the engagement projection's old days, which every instance may do (deleting
what is already gone deletes nothing)."""

import asyncio
import logging

from services.common.events.envelope import utc_now
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.members.domain.tier_policy import Policy, has_due_steps, run_scheduled
from services.members.storage import engagement
from services.members.storage import tier_policy as storage

logger = logging.getLogger(__name__)


async def run_due_policies(runtime: ServiceRuntime) -> int:
    """One pass: each scheduled community's due steps, each community in its own transaction.
    Returns how many communities had a step run."""
    async with runtime.read_sessions() as session:
        community_ids = await storage.scheduled_community_ids(session)
    ran = 0
    for community_id in community_ids:
        async with runtime.read_sessions() as session:
            if not await has_due_steps(session=session, community_id=community_id):
                continue
        async with runtime.unit_of_work() as uow:
            result = await run_scheduled(uow=uow, community_id=community_id)
        if result.steps:
            ran += 1
            logger.info(
                "tier policy of %s ran %s: %d moved, %d purged",
                community_id,
                ",".join(result.steps),
                len(result.moves),
                len(result.purged),
            )
    return ran


def tier_policy_worker(poll_seconds: float) -> WorkerSpec:
    async def schedule_forever(runtime: ServiceRuntime) -> None:
        while True:
            await run_due_policies(runtime)
            await asyncio.sleep(poll_seconds)

    return WorkerSpec(name="tier policy scheduler", run=schedule_forever)


def activity_pruning_worker(*, keep_days: int, interval_seconds: float) -> WorkerSpec:
    async def prune_forever(runtime: ServiceRuntime) -> None:
        defaults = Policy()
        while True:
            async with runtime.sessions() as session:
                deleted = await engagement.prune_activity_days(
                    session,
                    today=utc_now().date(),
                    keep_days=keep_days,
                    default_window_days=max(
                        defaults.promote_every_days, defaults.demote_every_days
                    ),
                )
                await session.commit()
            if deleted:
                logger.info("pruned %d engagement days no tier-policy window reaches", deleted)
            await asyncio.sleep(interval_seconds)

    return WorkerSpec(name="engagement pruning", run=prune_forever)
