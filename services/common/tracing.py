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

from fastapi.telemetry import TelemetryConfig
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    TraceFlags,
    Tracer,
    set_span_in_context,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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

# For `FastAPI(telemetry=...)`. FastAPI's own OpenTelemetry, on by default, records a request
# only when OpenTelemetry's global providers are set, which Huoli never does (above), and finds
# that out anew on every request: about 12 of the 73 µs of CPU the gateway's own code (its
# middleware, routing and proxy; not the HTTP server and client) spent on a proxied call
# (issue 10).
FASTAPI_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


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
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
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


def _format(span: Span) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


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
    with tracer.start_as_current_span(
        name, context=_parent(traceparent), kind=kind, attributes=attributes
    ) as span:
        token = traceparent_var.set(_format(span))
        try:
            yield
        finally:
            traceparent_var.reset(token)


class TraceContextMiddleware:
    """Take the caller's `traceparent` as the request's trace context.

    At the edge (the gateway) a request without one starts a trace, and the answer names the
    trace id in X-Trace-ID so a caller can quote it. Inside (a service) a request without one
    has no trace context unless tracing is on, which then starts one.
    """

    def __init__(self, app: ASGIApp, *, edge: bool = False) -> None:
        self.app = app
        self.edge = edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for key, value in scope["headers"]:
            if key == b"traceparent":
                incoming = valid_traceparent(value.decode("latin-1"))
                break
        if incoming is None and self.edge and _tracer is None:
            incoming = new_traceparent()
        if _tracer is None:
            token = traceparent_var.set(incoming)
            try:
                await self._call(scope, receive, send, incoming)
            finally:
                traceparent_var.reset(token)
            return
        attributes = {"http.request.method": scope["method"], "url.path": scope["path"]}
        with traced(
            f"{scope['method']} {scope['path']}",
            incoming,
            kind=SpanKind.SERVER,
            attributes=attributes,
        ):
            await self._call(scope, receive, send, traceparent_var.get())

    async def _call(
        self, scope: Scope, receive: Receive, send: Send, traceparent: str | None
    ) -> None:
        if not self.edge or traceparent is None:
            await self.app(scope, receive, send)
            return
        trace_id = traceparent[3:35].encode()

        async def send_with_trace_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The upstream's own X-Trace-ID (relayed by the proxy) names the same trace.
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-trace-id"]
                headers.append((b"x-trace-id", trace_id))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_trace_id)
