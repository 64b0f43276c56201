"""The monthly satisfaction survey: every instance polls; the (community, `month:…`) origin is
unique, so each month's survey is made once whichever instance gets there first."""

import asyncio
import logging

from services.common.events.envelope import utc_now
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.members.communities import repository as community_repository
from services.members.surveys import repository
from services.members.surveys.service import open_monthly_survey

logger = logging.getLogger(__name__)


async def open_due_monthly_surveys(runtime: ServiceRuntime) -> int:
    """One pass: this month's survey for every community that wants one and has none yet,
    each in its own transaction. Returns how many were opened."""
    async with runtime.read_sessions() as session:
        community_ids = await repository.monthly_nps_communities(session)
    opened = 0
    for community_id in community_ids:
        async with runtime.unit_of_work() as uow:
            community = await community_repository.get_community(uow.session, community_id)
            if community is not None and await open_monthly_survey(
                uow=uow, community=community, now=utc_now()
            ):
                opened += 1
                logger.info("monthly satisfaction survey opened in %s", community_id)
    return opened


def monthly_survey_worker(poll_seconds: float) -> WorkerSpec:
    async def open_forever(runtime: ServiceRuntime) -> None:
        while not runtime.stopping.is_set():
            await open_due_monthly_surveys(runtime)
            await asyncio.sleep(poll_seconds)

    return WorkerSpec(name="monthly satisfaction surveys", run=open_forever)
