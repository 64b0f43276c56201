"""The scheduler of win-back campaigns: every instance polls; a campaign's conditional claim
makes exactly one of them run it."""

import asyncio
import logging

from services.common.events.envelope import utc_now
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.scoring.nudges.errors import CampaignNotRunnable
from services.scoring.nudges.service import due_campaigns, run_campaign

logger = logging.getLogger(__name__)


def nudge_scheduler(poll_seconds: float) -> WorkerSpec:
    async def run_forever(runtime: ServiceRuntime) -> None:
        while not runtime.stopping.is_set():
            async with runtime.read_sessions() as session:
                due = await due_campaigns(session=session, now=utc_now())
            for community_id, campaign_id in due:
                try:
                    # One transaction per campaign: one that fails leaves the others to run.
                    async with runtime.unit_of_work() as uow:
                        ran = await run_campaign(
                            uow=uow, community_id=community_id, campaign_id=campaign_id
                        )
                    logger.info(
                        "nudge campaign %s ran: %d nudged, %d held out, %d capped",
                        campaign_id,
                        ran.nudged,
                        ran.held_out,
                        ran.capped,
                    )
                except CampaignNotRunnable:
                    continue  # another instance ran it, or it was cancelled, in between
            await asyncio.sleep(poll_seconds)

    return WorkerSpec(name="nudge scheduler", run=run_forever)
