"""What a running service holds (engines, sessions, Kafka, outbox) and the shape of its
background workers."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox
from services.common.faults import Readiness
from services.common.settings import ServiceSettings
from services.common.unit_of_work import UnitOfWork


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    kafka: KafkaLink
    outbox: Outbox
    # Set when the service shuts down, after the server answered its last request.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Consumers paused on a transient fault: `/readyz` answers 503 while any is.
    readiness: Readiness = field(default_factory=Readiness)

    def unit_of_work(self) -> UnitOfWork:
        """A write boundary of its own: `async with runtime.unit_of_work() as uow:`."""
        return UnitOfWork(self.sessions, self.outbox)


@dataclass(frozen=True)
class WorkerSpec:
    """A background job a service runs beside its API (a publisher, a scheduler, pruning).

    `run` gets the runtime and should loop until cancelled; a crash is logged and the worker
    restarted after a second. A `graceful` worker (a consumer) watches `runtime.stopping`
    instead and returns once the work in hand is done; shutdown waits for it (up to
    `shutdown_grace_seconds`) where other workers are cancelled at once.
    """

    name: str
    run: Callable[[ServiceRuntime], Awaitable[None]]
    graceful: bool = False
