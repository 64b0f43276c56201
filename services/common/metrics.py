"""Prometheus metrics every process exposes at `/metrics` (prometheus-client's text format).

The metric objects live once per process in the default registry, labelled by component, so
several apps in one interpreter (the tests) share them without registering twice.
"""

import asyncio
import logging
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.events.tables import MessagingTables
from services.common.runtime import ServiceRuntime, WorkerSpec

logger = logging.getLogger(__name__)

REQUEST_DURATION = Histogram(
    "huoli_http_request_duration_seconds",
    "Time from a request's arrival to its response's start, by route template.",
    ("component", "method", "route", "status"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge(
    "huoli_outbox_backlog", "Outbox rows written but not yet published.", ("component",)
)
OUTBOX_OLDEST_AGE = Gauge(
    "huoli_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox row (0 when none is waiting).",
    ("component",),
)
CONSUMER_LAG = Gauge(
    "huoli_consumer_lag",
    "Messages on a partition a consumer group has not consumed yet (as of its last fetch).",
    ("group", "topic", "partition"),
)
DEAD_LETTERS = Counter(
    "huoli_consumer_dead_letters_total",
    "Messages a consumer gave up on and sent to the dead-letter topic.",
    ("group", "topic"),
)
WEBHOOK_FAILURES = Counter(
    "huoli_webhook_delivery_failures_total",
    "Webhook delivery attempts that did not get a 2xx (refused, timed out, or an error status).",
    ("reason",),
)
# Member reports worked as cases (members service), by report kind: how long members wait.
_CASE_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200, 604800)
CASE_FIRST_RESPONSE = Histogram(
    "huoli_case_first_response_seconds",
    "Time from a case's first report to its first answer (assignment, comment or resolution).",
    ("kind",),
    buckets=_CASE_BUCKETS,
)
CASE_RESOLUTION = Histogram(
    "huoli_case_resolution_seconds",
    "Time from a case's first report to its resolution.",
    ("kind",),
    buckets=_CASE_BUCKETS,
)

# Paths without a route template share one label, so a scan of random paths cannot create
# a time series per path.
UNMATCHED_ROUTE = "unmatched"
# How often the outbox gauges are refreshed: a scrape every 15 s or so is what they serve.
OUTBOX_SAMPLE_SECONDS = 10.0


async def sample_outbox(
    read_sessions: async_sessionmaker[AsyncSession], tables: MessagingTables, component: str
) -> None:
    """Set the outbox gauges from the table: how many rows wait and since when."""
    outbox = tables.outbox
    async with read_sessions() as session:
        waiting, oldest = (
            await session.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(
                    outbox.c.published_at.is_(None)
                )
            )
        ).one()
    OUTBOX_BACKLOG.labels(component).set(waiting)
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
    OUTBOX_OLDEST_AGE.labels(component).set(max(age, 0.0))


async def sample_outbox_forever(
    read_sessions: async_sessionmaker[AsyncSession], tables: MessagingTables, component: str
) -> None:
    while True:
        try:
            await sample_outbox(read_sessions, tables, component)
        except Exception:
            # A database hiccup costs one sample, not the worker's restart noise.
            logger.debug("outbox sample failed", exc_info=True)
        await asyncio.sleep(OUTBOX_SAMPLE_SECONDS)


def outbox_metrics_worker(tables: MessagingTables, component: str) -> WorkerSpec:
    async def sample_forever(runtime: ServiceRuntime) -> None:
        await sample_outbox_forever(runtime.read_sessions, tables, component)

    return WorkerSpec(name="outbox metrics", run=sample_forever)


def record_consumer_lag(
    group: str, topic: str, partition: int, *, next_offset: int, log_end: int | None
) -> None:
    """The lag of a consumer group on one partition: the log's end minus the next offset."""
    if log_end is not None:
        CONSUMER_LAG.labels(group, topic, str(partition)).set(max(log_end - next_offset, 0))
