"""The scoring clockwork: closes due periods and sweeps segments as time passes."""

import asyncio

from services.common.events.envelope import utc_now
from services.common.runtime import ServiceRuntime
from services.scoring.periods import repository
from services.scoring.periods.service import close_due_periods
from services.scoring.segments.service import sweep_segments


async def run_clockwork(
    runtime: ServiceRuntime, *, poll_seconds: float, sweep_seconds: float
) -> None:
    """Close due periods every `poll_seconds`; sweep segments every `sweep_seconds` (the first
    sweep one interval after start: replicas restarting together do not all sweep at once)."""
    loop = asyncio.get_running_loop()
    last_sweep = loop.time()
    while True:
        now = utc_now()
        await close_due_periods(runtime=runtime, now=now)
        if loop.time() - last_sweep >= sweep_seconds:
            last_sweep = loop.time()
            async with runtime.read_sessions() as session:
                communities = await repository.all_communities(session)
            for community in communities:
                async with runtime.unit_of_work() as uow:
                    await sweep_segments(uow=uow, community_id=community.id, now=now)
        await asyncio.sleep(poll_seconds)
