"""What the trace context costs per request, in CPU, without the network: the edge's
`TraceContextMiddleware` around an app that only answers, driven in-process.

The HTTP benchmark (`gateway_bench.py --tracing none|console`) measures the same through real
processes, but on a shared machine its noise is larger than this cost; CPU time of this one
process (the exporter's thread included) is not disturbed by other processes' load.

    .venv/bin/python bench/tracing_bench.py [--requests 20000]
"""

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from services.common import tracing  # noqa: E402

TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class _Discarding(SpanExporter):
    """Exports nothing: what remains is the SDK's own cost (spans, ids, the batch queue)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    tracing.current_traceparent()  # as the proxy reads it
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


async def _send(message: Message) -> None:
    return None


def _scope(traceparent: bytes | None) -> Scope:
    headers = [(b"host", b"gateway"), (b"authorization", b"Bearer x"), (b"accept", b"*/*")]
    if traceparent is not None:
        headers.append((b"traceparent", traceparent))
    return {"type": "http", "method": "GET", "path": "/v1/communities/c1", "headers": headers}


async def _microseconds(app: ASGIApp, scope: Scope, requests: int) -> float:
    """CPU per request, the best of five rounds."""
    rounds = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(requests):
            await app(scope, _receive, _send)
        rounds.append((time.process_time() - start) / requests * 1e6)
    return min(rounds)


async def _measure(requests: int, devnull: IO[str]) -> list[tuple[str, float]]:
    edge = tracing.TraceContextMiddleware(_answer, edge=True)
    results = [("no middleware", await _microseconds(_answer, _scope(None), requests))]
    for state in ("off", "on, spans discarded", "on, console to /dev/null"):
        if state == "on, spans discarded":
            # What configure_tracing installs, with an exporter that does nothing.
            provider = TracerProvider()
            provider.add_span_processor(BatchSpanProcessor(_Discarding()))
            tracing._provider, tracing._tracer = provider, provider.get_tracer("bench")
        elif state == "on, console to /dev/null":
            tracing.shutdown_tracing()
            tracing.configure_tracing("console", service_name="bench", console_output=devnull)
        for label, traceparent in (("a new trace", None), ("traceparent given", TRACEPARENT)):
            micros = await _microseconds(edge, _scope(traceparent), requests)
            results.append((f"tracing {state}, {label}", micros))
    tracing.shutdown_tracing()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests per round")
    args = parser.parse_args(argv)
    with open(os.devnull, "w") as devnull:
        results = asyncio.run(_measure(args.requests, devnull))
    for label, micros in results:
        print(f"{label:<50} {micros:8.2f} µs CPU/request")
    # A tight loop outruns the batch processor's queue (2,048 spans) and the SDK drops the
    # excess with a warning: the figures with tracing on are then a lower bound.
    return 0


if __name__ == "__main__":
    sys.exit(main())
