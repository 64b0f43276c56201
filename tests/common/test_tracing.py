"""Trace context: from a request's `traceparent` into the events it writes, onto Kafka (the
envelope's extension and the message header), into the consumer that applies them and the events
that consumer writes in turn; spans only when an exporter is configured; JSON logs with the
request and trace ids. On SQLite and PostgreSQL, with the real broker."""

import io
import json
import logging
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI, status
from opentelemetry.trace import SpanKind
from sqlalchemy import MetaData, select

from services.common.api.deps import UnitOfWorkDep
from services.common.api.middleware import install_edge_middleware
from services.common.api.problems import install_problem_handlers
from services.common.api.tracing import TraceContextMiddleware
from services.common.db import session_factory
from services.common.events.catalogue import CommunityCreated
from services.common.events.consumer import InboxConsumer
from services.common.events.envelope import CloudEvent, utc_now
from services.common.events.kafka import KafkaLink
from services.common.events.outbox import Outbox, OutboxRelay
from services.common.events.tables import messaging_tables
from services.common.logs import JsonFormatter, request_id_var
from services.common.settings import ServiceSettings
from services.common.tracing import (
    configure_tracing,
    current_trace_id,
    current_traceparent,
    shutdown_tracing,
    traced,
    traceparent_var,
    tracing_enabled,
    valid_traceparent,
)
from services.common.unit_of_work import UnitOfWork
from tests.support import KafkaProbe, community_created, schema_engine

TOPIC = "huoli.members"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"

metadata = MetaData()
messaging = messaging_tables(metadata)


engine = schema_engine(metadata)


@pytest.fixture
def spans() -> Iterator[io.StringIO]:
    """Tracing on for one test, spans written as JSON to the returned buffer (flushed once
    the test's block has called `shutdown_tracing`)."""
    exported = io.StringIO()
    configure_tracing("console", service_name="test", console_output=exported)
    try:
        yield exported
    finally:
        shutdown_tracing()


def writing_app(engine: Any, outbox: Outbox) -> FastAPI:
    """A service's edge middleware in front of one route that writes an event."""
    app = FastAPI()
    install_problem_handlers(app)
    install_edge_middleware(app, max_body_bytes=4096)
    app.state.runtime = SimpleNamespace(sessions=session_factory(engine), outbox=outbox)

    @app.post("/communities/{community_id}", status_code=status.HTTP_201_CREATED)
    async def create(community_id: str, uow: UnitOfWorkDep) -> dict[str, str | None]:
        await uow.outbox.add(uow.session, community_created(community_id))
        return {"traceparent": current_traceparent()}

    return app


async def post(app: FastAPI, path: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(path, headers=headers)
    assert response.status_code == 201, response.text
    return response


async def outbox_envelopes(engine: Any) -> list[CloudEvent]:
    async with session_factory(engine)() as session:
        payloads = (
            await session.execute(
                select(messaging.outbox.c.payload).order_by(messaging.outbox.c.seq)
            )
        ).scalars()
        return [CloudEvent.model_validate_json(payload) for payload in payloads]


def _about(value: bytes, community_id: str) -> bool:
    # Other tests share the session's broker, and some publish on this topic what is not JSON.
    try:
        return bool(orjson.loads(value)["data"]["community_id"] == community_id)
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return False


async def test_a_requests_trace_reaches_kafka_the_consumer_and_the_events_it_writes(
    engine: Any, broker: str
) -> None:
    assert not tracing_enabled()  # the default: the context travels, no span is made
    outbox = Outbox(messaging, source="test")
    settings = ServiceSettings(kafka_bootstrap_servers=broker)
    kafka = KafkaLink(settings, [TOPIC, f"{TOPIC}.dlq"])
    community_id = f"traced-{utc_now().timestamp()}"
    seen_by_handler: list[tuple[str | None, str | None]] = []

    async def on_community_created(uow: UnitOfWork, event: CommunityCreated, _: CloudEvent) -> None:
        seen_by_handler.append((current_traceparent(), current_trace_id()))
        await uow.outbox.add(uow.session, community_created(f"{event.community_id}-echo"))

    consumer = InboxConsumer(
        group_id="test.tracing",
        topics=[TOPIC],
        handlers={CommunityCreated: on_community_created},
        sessions=session_factory(engine),
        outbox=outbox,
        tables=messaging,
        kafka=kafka,
        max_attempts=1,
    )
    relay = OutboxRelay(
        outbox=outbox,
        sessions=session_factory(engine),
        kafka=kafka,
        poll_seconds=0.1,
        replay_window_seconds=60,
    )
    try:
        await post(
            writing_app(engine, outbox),
            f"/communities/{community_id}",
            {"traceparent": TRACEPARENT},
        )
        assert await relay.publish_pending() == (1, False)
        [record] = await KafkaProbe(broker).records(
            TOPIC,
            count=1,
            where=lambda r: _about(r.value, community_id),
        )
        assert orjson.loads(record.value)["traceparent"] == TRACEPARENT
        assert dict(record.headers)["traceparent"] == TRACEPARENT.encode()

        await consumer.process(record)
    finally:
        await kafka.close()

    assert seen_by_handler == [(TRACEPARENT, TRACE_ID)]
    [_, echo] = await outbox_envelopes(engine)
    assert echo.data["community_id"] == f"{community_id}-echo"
    assert echo.traceparent == TRACEPARENT
    # Outside the handler the context is gone again.
    assert current_traceparent() is None


async def test_a_request_without_a_valid_traceparent_writes_events_without_one(
    engine: Any,
) -> None:
    outbox = Outbox(messaging, source="test")
    app = writing_app(engine, outbox)
    answered = await post(app, "/communities/a", {"traceparent": "00-not-a-trace-context-01"})
    assert answered.json() == {"traceparent": None}
    assert "x-trace-id" not in answered.headers  # only the gateway (the edge) names one
    await post(app, "/communities/b", {})
    assert [envelope.traceparent for envelope in await outbox_envelopes(engine)] == [None, None]


async def test_with_tracing_on_the_request_runs_in_a_span_that_is_the_callers_child(
    engine: Any, spans: io.StringIO
) -> None:
    outbox = Outbox(messaging, source="test")
    answered = await post(
        writing_app(engine, outbox), "/communities/c", {"traceparent": TRACEPARENT}
    )
    handed_on = answered.json()["traceparent"]
    [envelope] = await outbox_envelopes(engine)
    assert envelope.traceparent == handed_on
    # The same trace, the service's own span as the parent of what follows.
    assert handed_on.startswith(f"00-{TRACE_ID}-")
    server_span_id = handed_on[36:52]
    assert server_span_id != CALLER_SPAN_ID

    shutdown_tracing()  # flushes the batch
    exported = _json_objects(spans.getvalue())
    [server] = [span for span in exported if span["kind"] == "SpanKind.SERVER"]
    assert server["context"]["trace_id"] == f"0x{TRACE_ID}"
    assert server["context"]["span_id"] == f"0x{server_span_id}"
    assert server["parent_id"] == f"0x{CALLER_SPAN_ID}"
    assert server["resource"]["attributes"]["service.name"] == "test"


async def test_with_tracing_on_a_request_without_a_traceparent_is_a_new_traces_root(
    spans: io.StringIO,
) -> None:
    handed_on: list[str | None] = []

    async def answer(scope: Any, receive: Any, send: Any) -> None:
        handed_on.append(current_traceparent())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=TraceContextMiddleware(answer))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answered = await client.get("/communities/c1")
    assert answered.status_code == 204
    [traceparent] = handed_on
    assert traceparent is not None and valid_traceparent(traceparent) == traceparent

    shutdown_tracing()
    [server] = _json_objects(spans.getvalue())
    assert server["name"] == "GET /communities/c1"
    assert server["parent_id"] is None
    assert server["context"]["trace_id"] == f"0x{traceparent[3:35]}"
    assert server["context"]["span_id"] == f"0x{traceparent[36:52]}"
    assert server["attributes"] == {"http.request.method": "GET", "url.path": "/communities/c1"}
    assert current_traceparent() is None


def test_an_error_leaving_a_span_is_recorded_on_it(spans: io.StringIO) -> None:
    with (
        pytest.raises(ValueError, match="boom"),
        traced("handle", TRACEPARENT, kind=SpanKind.CONSUMER, attributes={}),
    ):
        raise ValueError("boom")
    assert current_traceparent() is None

    shutdown_tracing()
    [span] = _json_objects(spans.getvalue())
    assert span["parent_id"] == f"0x{CALLER_SPAN_ID}"
    assert span["status"] == {"status_code": "ERROR", "description": "ValueError: boom"}
    [event] = span["events"]
    assert event["name"] == "exception"
    assert event["attributes"]["exception.type"] == "ValueError"


def _json_objects(text: str) -> list[Any]:
    """The console exporter writes indented JSON objects one after another."""
    decoder = json.JSONDecoder()
    objects, rest = [], text.strip()
    while rest:
        value, end = decoder.raw_decode(rest)
        objects.append(value)
        rest = rest[end:].lstrip()
    return objects


@pytest.mark.parametrize(
    "value",
    [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  # no flags
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # an unknown version
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # the invalid trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # the invalid parent id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nx-injected: 1",
    ],
)
def test_a_malformed_traceparent_is_not_taken(value: str) -> None:
    assert valid_traceparent(value) is None
    assert valid_traceparent(TRACEPARENT) == TRACEPARENT


def test_the_json_formatter_writes_one_object_with_the_request_and_trace_ids() -> None:
    formatter = JsonFormatter(service="members")
    request_token = request_id_var.set("req-42")
    trace_token = traceparent_var.set(TRACEPARENT)
    try:
        record = logging.LogRecord(
            "huoli.test", logging.WARNING, __file__, 1, "joined %s", ("读书会",), None
        )
        record.member_id = "m-1"  # as `extra={"member_id": …}` sets it
        try:
            raise ValueError("boom")
        except ValueError:
            failed = logging.LogRecord(
                "huoli.test", logging.ERROR, __file__, 2, "failed", (), sys.exc_info()
            )
        line, failed_line = formatter.format(record), formatter.format(failed)
    finally:
        traceparent_var.reset(trace_token)
        request_id_var.reset(request_token)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["time"].endswith("+00:00")
    del entry["time"]
    assert entry == {
        "level": "WARNING",
        "logger": "huoli.test",
        "message": "joined 读书会",
        "request_id": "req-42",
        "trace_id": TRACE_ID,
        "service": "members",
        "member_id": "m-1",
    }
    failure = json.loads(failed_line)
    assert failure["level"] == "ERROR"
    assert "ValueError: boom" in failure["exception"]


def test_outside_a_request_the_json_formatter_names_no_trace() -> None:
    record = logging.LogRecord("huoli.test", logging.INFO, __file__, 1, "tick", (), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "-"
    assert entry["trace_id"] is None
    assert "service" not in entry
