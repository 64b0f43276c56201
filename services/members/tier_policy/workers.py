"""The scheduled tier policy: every instance polls, and the (community, step, period) claim in
the database makes each period's run happen once, whichever instance gets there first."""

import asyncio
import logging

from services.common.background import cancel_all
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.members.tier_policy import repository
from services.members.tier_policy.service import (
    has_due_steps,
    has_due_warning,
    run_scheduled,
    warn_at_risk,
)
from services.members.tier_policy.standings import refreshes_running, stop_ranking_process

logger = logging.getLogger(__name__)


async def run_due_policies(runtime: ServiceRuntime) -> int:
    """One pass: each scheduled community's due steps, each community in its own transaction.
    Returns how many communities had a step run."""
    async with runtime.read_sessions() as session:
        community_ids = await repository.scheduled_community_ids(session)
    ran = 0
    for community_id in community_ids:
        await _warn_if_due(runtime, community_id)
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


async def _warn_if_due(runtime: ServiceRuntime, community_id: str) -> None:
    async with runtime.read_sessions() as session:
        if not await has_due_warning(session=session, community_id=community_id):
            return
    async with runtime.unit_of_work() as uow:
        warned = await warn_at_risk(uow=uow, community_id=community_id)
    if warned:
        logger.info("tier policy of %s: %d members warned they are at risk", community_id, warned)


def tier_policy_worker(poll_seconds: float) -> WorkerSpec:
    async def schedule_forever(runtime: ServiceRuntime) -> None:
        while not runtime.stopping.is_set():
            await run_due_policies(runtime)
            await asyncio.sleep(poll_seconds)

    return WorkerSpec(name="tier policy scheduler", run=schedule_forever)


def standings_refresh_worker() -> WorkerSpec:
    """Ends the standings rebuilds a read started in the background: graceful, so it is still
    there when `stopping` is set, and cancels them then, before the engines close, and ends the
    ranking process."""

    async def cancel_at_stop(runtime: ServiceRuntime) -> None:
        await runtime.stopping.wait()
        await cancel_all(refreshes_running(runtime.stopping))
        stop_ranking_process()

    return WorkerSpec(name="standings refreshes", run=cancel_at_stop, graceful=True)
