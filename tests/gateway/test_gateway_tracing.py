"""The trace context at the gateway: the caller's `traceparent` goes to the upstream as sent, a
request without a valid one starts a trace, and the answer names the trace id. With tracing on,
the upstream's parent is the gateway's own span in the caller's trace."""

import io

import httpx

from services.common.tracing import configure_tracing, shutdown_tracing
from tests.gateway.conftest import GatewayFactory
from tests.gateway.fakes import bearer, echoed_headers

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"


async def test_the_callers_traceparent_is_passed_on_and_its_trace_id_answered(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get(
        "/v1/communities/c1", headers={**bearer(), "traceparent": TRACEPARENT}
    )
    assert response.status_code == 200, response.text
    assert echoed_headers(response)["traceparent"] == [TRACEPARENT]
    assert response.headers.get_list("x-trace-id") == [TRACE_ID]


async def test_a_trace_is_started_when_the_caller_sent_none_or_a_malformed_one(
    gateway: httpx.AsyncClient,
) -> None:
    forged = f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01-extra"
    for headers in (bearer(), {**bearer(), "traceparent": forged}):
        response = await gateway.get("/v1/communities/c1", headers=headers)
        trace_id = response.headers["x-trace-id"]
        assert len(trace_id) == 32 and trace_id != TRACE_ID
        [sent] = echoed_headers(response)["traceparent"]
        assert sent.startswith(f"00-{trace_id}-") and len(sent) == 55


async def test_with_tracing_on_the_upstream_is_the_gateway_spans_child(
    start_gateway: GatewayFactory,
) -> None:
    exported = io.StringIO()
    async with start_gateway() as gateway:
        # After start-up: the lifespan installs what OTEL_EXPORTER says (none, in tests).
        configure_tracing("console", service_name="gateway", console_output=exported)
        try:
            response = await gateway.get(
                "/v1/communities/c1", headers={**bearer(), "traceparent": TRACEPARENT}
            )
        finally:
            shutdown_tracing()
    [sent] = echoed_headers(response)["traceparent"]
    assert sent.startswith(f"00-{TRACE_ID}-")
    gateway_span_id = sent[36:52]
    assert gateway_span_id != CALLER_SPAN_ID
    assert response.headers["x-trace-id"] == TRACE_ID
    assert f'"span_id": "0x{gateway_span_id}"' in exported.getvalue()
    assert f'"parent_id": "0x{CALLER_SPAN_ID}"' in exported.getvalue()
