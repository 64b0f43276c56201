"""The report builder: at each week's and month's end in a community's timezone, build its
report once and announce `report.ready`."""

import logging

from services.common.events.envelope import utc_now
from services.common.faults import sleep_unless
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.scoring.periods import repository as periods_repository
from services.scoring.reports.service import build_due_reports

logger = logging.getLogger(__name__)


def report_worker(poll_seconds: float, *, enabled: bool = True) -> WorkerSpec:
    async def build_forever(runtime: ServiceRuntime) -> None:
        """Every `poll_seconds`, each community's last ended week and month, if not built:
        the stored report is the claim, so replicas polling together build each once."""
        if not enabled:  # as the clockwork: tests that drive time themselves turn both off
            await runtime.stopping.wait()
            return
        while not runtime.stopping.is_set():
            async with runtime.read_sessions() as session:
                communities = await periods_repository.all_communities(session)
            for community in communities:
                if runtime.stopping.is_set():
                    return
                async with runtime.unit_of_work() as uow:
                    built = await build_due_reports(
                        uow=uow,
                        community_id=community.id,
                        timezone=community.timezone,
                        now=utc_now(),
                    )
                if built:
                    logger.info("reports of %s built: %s", community.id, ", ".join(built))
            if await sleep_unless(runtime.stopping, poll_seconds):
                return

    return WorkerSpec(name="reports", run=build_forever)
