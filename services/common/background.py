"""Background jobs of a service or the gateway: kept alive while it runs, and at shutdown
either cancelled or, for the graceful ones (an outbox relay's last pass, a consumer's batch in
hand), given a grace period to finish."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from services.common.faults import Throttled, describe, is_transient

logger = logging.getLogger(__name__)
# A worker that fails because the database is away fails every second until it is back.
_outage_log = Throttled(logger, interval=10.0)


async def supervised(
    name: str, run: Callable[[], Awaitable[None]], stopping: asyncio.Event
) -> None:
    """Keep a background worker alive: an unexpected error is logged and the worker restarted,
    until the service stops."""
    while not stopping.is_set():
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if stopping.is_set():
                logger.warning("%s failed while stopping", name, exc_info=True)
                return
            if is_transient(exc):
                _outage_log.say(
                    name,
                    "%s stopped on a transient fault (%s); restarting in 1 s",
                    name,
                    describe(exc),
                )
            else:
                logger.exception("%s crashed; restarting in 1 s", name)
            await asyncio.sleep(1)


async def drain(tasks: list[asyncio.Task[None]], *, grace_seconds: float) -> None:
    """Let graceful workers finish their work in hand; cancel what is still running after the
    grace period."""
    if not tasks:
        return
    _done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
    if pending:
        logger.warning(
            "%d workers did not finish within %s s; cancelling", len(pending), grace_seconds
        )
        await cancel_all(list(pending))


async def cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the workers until they end: aiokafka can turn a cancellation that lands inside a
    connection attempt into a KafkaError, which the workers treat as an outage and retry."""
    pending = set(tasks)
    for _ in range(20):
        if not pending:
            return
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=0.5)
    logger.error("%d background workers did not stop", len(pending))
