"""Tracing at the web edge: the request's trace context from its `traceparent`, and FastAPI's own
telemetry turned off."""

from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.tracing import (
    current_tracer,
    new_traceparent,
    record_failure,
    start_span,
    traceparent_var,
    valid_traceparent,
)

# For `FastAPI(telemetry=...)`. FastAPI's own OpenTelemetry, on by default, records a request
# only when OpenTelemetry's global providers are set, which Huoli never does (above), and finds
# that out anew on every request: about 12 of the 73 µs of CPU the gateway's own code (its
# middleware, routing and proxy; not the HTTP server and client) spent on a proxied call
# (issue 10).
FASTAPI_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


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
        tracer = current_tracer()
        if tracer is None:
            if incoming is None and self.edge:
                incoming = new_traceparent()
            token = traceparent_var.set(incoming)
            try:
                await self._call(scope, receive, send, incoming)
            finally:
                traceparent_var.reset(token)
            return
        # As `traced` does, inline: a generator-based context manager per request is not free.
        method, path = scope["method"], scope["path"]
        span, handed_on = start_span(
            tracer,
            f"{method} {path}",
            incoming,
            SpanKind.SERVER,
            {"http.request.method": method, "url.path": path},
        )
        token = traceparent_var.set(handed_on)
        try:
            await self._call(scope, receive, send, handed_on)
        except Exception as error:
            record_failure(span, error)
            raise
        finally:
            traceparent_var.reset(token)
            span.end()

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
