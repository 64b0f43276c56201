"""The process core every service and the gateway run on: logging and tracing, migrations, the
database engines, Kafka and the outbox (`open_process`); then the outbox relay, the consumers,
the workers, pruning and the outbox gauges in the background, drained on shutdown
(`run_background`)."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from services.common.background import cancel_all, drain, supervised
from services.common.db import create_engine, session_factory
from services.common.events.catalogue import ALL_TOPICS, dlq_topic
from services.common.events.consumer import ConsumerSpec, InboxConsumer
from services.common.events.housekeeping import housekeeping_workers
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox, OutboxRelay
from services.common.events.tables import MessagingTables
from services.common.logs import configure_logging
from services.common.metrics import outbox_metrics_worker
from services.common.migrations import upgrade_to_head
from services.common.runtime import ServiceRuntime, WorkerSpec
from services.common.settings import ServiceSettings
from services.common.tracing import configure_tracing, shutdown_tracing

logger = logging.getLogger(__name__)


@asynccontextmanager
async def open_process(
    *, settings: ServiceSettings, alembic_ini: Path, tables: MessagingTables
) -> AsyncIterator[ServiceRuntime]:
    """What a running process holds, opened in order and closed in reverse."""
    configure_logging(settings.log_level, format=settings.log_format, service=settings.service_name)
    configure_tracing(settings.otel_exporter, service_name=settings.service_name)
    database_url = settings.resolved_database_url()
    if settings.run_migrations_on_startup:
        await asyncio.to_thread(upgrade_to_head, ini_path=alembic_ini, database_url=database_url)
    engine = create_engine(database_url)
    # Requests that only read get an engine of their own, without transactions.
    read_engine = create_engine(database_url, read_only=True)
    kafka = KafkaLink(settings, [*ALL_TOPICS, *(dlq_topic(topic) for topic in ALL_TOPICS)])
    runtime = ServiceRuntime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        read_sessions=session_factory(read_engine),
        kafka=kafka,
        outbox=Outbox(tables, source=settings.service_name),
    )
    try:
        yield runtime
    finally:
        await kafka.close()
        await engine.dispose()
        await read_engine.dispose()
        shutdown_tracing()  # flushes the spans still batched


def consumer_worker(spec: ConsumerSpec, tables: MessagingTables) -> WorkerSpec:
    """An inbox consumer as a graceful worker: it ends after the event in hand at shutdown."""

    async def run(runtime: ServiceRuntime) -> None:
        consumer = InboxConsumer(
            group_id=spec.group_id,
            topics=spec.topics,
            handlers=spec.handlers,
            sessions=runtime.sessions,
            outbox=runtime.outbox,
            tables=tables,
            kafka=runtime.kafka,
            max_attempts=runtime.settings.consumer_max_attempts,
            stopping=runtime.stopping,
            readiness=runtime.readiness,
        )
        await consumer.run()

    return WorkerSpec(f"consumer {spec.group_id}", run, graceful=True)


@asynccontextmanager
async def run_background(
    runtime: ServiceRuntime,
    *,
    tables: MessagingTables,
    consumers: Sequence[ConsumerSpec] = (),
    workers: Sequence[WorkerSpec] = (),
) -> AsyncIterator[None]:
    """Run the process's background jobs while the block runs. On exit (uvicorn runs it once it
    has answered the requests in flight) `stopping` is set, the plain workers are cancelled, and
    the graceful ones (the relay's last pass, the consumers' batch in hand) get the shutdown
    grace period to finish, all at once."""
    settings, stopping = runtime.settings, runtime.stopping
    relay = OutboxRelay.of(runtime, settings, stopping)
    all_workers = [
        WorkerSpec("outbox relay", lambda _runtime: relay.run(), graceful=True),
        *(consumer_worker(spec, tables) for spec in (consumers if settings.run_consumers else ())),
        *workers,
        *housekeeping_workers(tables, settings),
        outbox_metrics_worker(tables, settings.service_name),
    ]
    graceful: list[asyncio.Task[None]] = []
    others: list[asyncio.Task[None]] = []
    for worker in all_workers:
        task = asyncio.create_task(supervised(worker.name, partial(worker.run, runtime), stopping))
        (graceful if worker.graceful else others).append(task)
    try:
        yield
    finally:
        stopping.set()
        await cancel_all(others)
        await drain(graceful, grace_seconds=settings.shutdown_grace_seconds)
