"""W3C trace context across the gateway, the services and Kafka, with OpenTelemetry spans when an
exporter is configured.

The trace context travels whether or not anything records it: the gateway starts a trace for a
request that brought none, passes `traceparent` to the service, the service's outbox writes it
into the CloudEvents envelope (the distributed-tracing extension attribute `traceparent`), the
relay copies it into the Kafka message's `traceparent` header, and a consumer runs its handler in
that context, so the events the handler writes carry it on. Logs name the trace id. So one trace
id links a request to every effect of it even with tracing off.

With `OTEL_EXPORTER` = `console` or `otlp`, the middleware and the consumer also open a span per
request and per event (children of the incoming context) and the context they pass on is the
span's. With `none` (the default) no tracer provider exists and no span is made: the cost is one
header scan and a context variable per request.
"""

import contextvars
import logging
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Literal

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
    set_span_in_context,
)
from opentelemetry.util.types import Attributes

logger = logging.getLogger(__name__)

Exporter = Literal["none", "console", "otlp"]

TRACEPARENT_HEADER = "traceparent"
TRACE_ID_HEADER = "x-trace-id"
# Version 00 of W3C Trace Context: lowercase hex, trace id and parent id not all zeros (checked
# separately). A caller's value is echoed into logs, headers and events, so nothing else passes.
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_INVALID_TRACE_ID = "0" * 32
_INVALID_SPAN_ID = "0" * 16

traceparent_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "traceparent", default=None
)

# The tracer while an exporter is configured; None is the whole "off" switch that the hot paths
# check. A provider of our own, not the global one: the global can be set once per process, and
# tests start and stop apps many times in one interpreter.
_tracer: Tracer | None = None
_provider: TracerProvider | None = None


def current_traceparent() -> str | None:
    """The traceparent to hand on from here (to an upstream, into an event), if any."""
    return traceparent_var.get()


def current_trace_id() -> str | None:
    traceparent = traceparent_var.get()
    return traceparent[3:35] if traceparent else None


def valid_traceparent(value: str | None) -> str | None:
    """`value` if it is a well-formed version-00 traceparent, else None."""
    if not value:
        return None
    match = _TRACEPARENT.match(value)
    if match is None or match[1] == _INVALID_TRACE_ID or match[2] == _INVALID_SPAN_ID:
        return None
    return value


def new_traceparent() -> str:
    """A new trace's root context. Flagged sampled: a downstream service that does export
    should record the trace the gateway started even when the gateway itself records nothing."""
    ids = secrets.token_hex(24)  # one read of the system's randomness for both ids
    return f"00-{ids[:32]}-{ids[32:]}-01"


def configure_tracing(
    exporter: Exporter, *, service_name: str, console_output: IO[str] | None = None
) -> None:
    """Install a tracer for `exporter` (`none` removes it). Spans are exported in batches from
    a background thread, so a request never waits for the exporter."""
    global _tracer, _provider
    shutdown_tracing()
    if exporter == "none":
        return
    span_exporter: SpanExporter
    if exporter == "console":
        span_exporter = ConsoleSpanExporter(out=console_output or sys.stdout)
    else:
        # Imported only when chosen: it pulls in protobuf. Endpoint, headers and timeout come
        # from the standard OTEL_EXPORTER_OTLP_* variables.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        span_exporter = OTLPSpanExporter()
    resource = _HashedResource(Resource.create({"service.name": service_name}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(span_exporter))
    _provider, _tracer = provider, provider.get_tracer("huoli")
    logger.info("tracing on: spans exported to %s", exporter)


def shutdown_tracing() -> None:
    """Flush and drop the tracer, if there is one."""
    global _tracer, _provider
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def tracing_enabled() -> bool:
    return _tracer is not None


class _HashedResource(Resource):
    """A Resource that hashes once. The OTLP encoder groups every span of a batch by its
    resource in a dict, and `Resource.__hash__` serialises the attributes to JSON each time:
    about a fifth of the exporter thread's CPU per span, for a value that never changes (a
    Resource is immutable)."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(dict(resource.attributes or {}), resource.schema_url)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash


def start_span(
    tracer: Tracer, name: str, traceparent: str | None, kind: SpanKind, attributes: Attributes
) -> tuple[Span, str]:
    """A span, child of `traceparent`, and the traceparent naming it.

    Started and ended by hand rather than with `start_as_current_span`: that also makes the
    span OpenTelemetry's current one, in a context attached and detached around the block, which
    nothing here reads (the context handed on is `traceparent_var`): a third or so of what the
    middleware cost a request with tracing on, in-process CPU on a loaded machine (issue 18)."""
    span = tracer.start_span(name, context=_parent(traceparent), kind=kind, attributes=attributes)
    context = span.get_span_context()
    # A child keeps its parent's trace id: its text is at hand, formatting 128 bits is not free.
    trace_id = traceparent[3:35] if traceparent is not None else f"{context.trace_id:032x}"
    return span, f"00-{trace_id}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def record_failure(span: Span, error: Exception) -> None:
    """What `start_as_current_span` does with an exception leaving the span: recorded as an
    event, and the span's status set to ERROR. (A BaseException such as a cancellation is not an
    error, nor recorded, there either.)"""
    span.record_exception(error)
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))


def _parent(traceparent: str | None) -> Context | None:
    if traceparent is None:
        return None
    context = SpanContext(
        trace_id=int(traceparent[3:35], 16),
        span_id=int(traceparent[36:52], 16),
        is_remote=True,
        trace_flags=TraceFlags(int(traceparent[53:55], 16)),
    )
    return set_span_in_context(NonRecordingSpan(context))


@contextmanager
def traced(
    name: str, traceparent: str | None, *, kind: SpanKind, attributes: dict[str, str]
) -> Iterator[None]:
    """Run the block in the context of `traceparent`: as the current context to hand on, and,
    with tracing on, inside a span that is its child (which is then what is handed on)."""
    tracer = _tracer
    if tracer is None:
        token = traceparent_var.set(traceparent)
        try:
            yield
        finally:
            traceparent_var.reset(token)
        return
    span, handed_on = start_span(tracer, name, traceparent, kind, attributes)
    token = traceparent_var.set(handed_on)
    try:
        yield
    except Exception as error:
        record_failure(span, error)
        raise
    finally:
        traceparent_var.reset(token)
        span.end()


def current_tracer() -> Tracer | None:
    """The tracer while an exporter is configured, else None (tracing off)."""
    return _tracer
