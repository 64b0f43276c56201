"""Trace context across real processes: the gateway passes the caller's `traceparent` (or the
one it starts) to the service, whose event on the broker carries it in the CloudEvents envelope
and in the Kafka message header."""

from typing import Any

import orjson
import pytest

from services.common.events.catalogue import CommunityCreated
from tests.e2e.conftest import System
from tests.support import KafkaProbe

pytestmark = pytest.mark.e2e

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


async def created_event(system: System, community_id: str) -> tuple[dict[str, object], bytes]:
    """The community.created envelope for `community_id` on the broker, and its traceparent
    header."""
    [record] = await KafkaProbe(system.stack.bootstrap_servers).records(
        CommunityCreated.kafka_topic(),
        count=1,
        where=lambda r: _is_created(orjson.loads(r.value), community_id),
        timeout=30,
    )
    envelope: dict[str, object] = orjson.loads(record.value)
    return envelope, dict(record.headers)["traceparent"]


def _is_created(envelope: dict[str, Any], community_id: str) -> bool:
    # The owner's member.joined is on the same topic and names the community too.
    return bool(
        envelope["type"] == CommunityCreated.type
        and envelope["data"].get("community_id") == community_id
    )


async def test_the_callers_traceparent_reaches_the_service_and_its_event(system: System) -> None:
    response = await system.gateway.post(
        "/v1/communities",
        json={"name": "Traced"},
        headers={**system.auth("tracer"), "traceparent": TRACEPARENT},
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-trace-id"] == TRACE_ID

    envelope, header = await created_event(system, response.json()["id"])
    # Tracing is off in the stack: the context passes through the gateway and the service
    # unchanged, so the event names the caller's own span as its cause.
    assert envelope["traceparent"] == TRACEPARENT
    assert header == TRACEPARENT.encode()


async def test_the_gateway_starts_a_trace_for_a_request_that_has_none(system: System) -> None:
    response = await system.gateway.post(
        "/v1/communities",
        json={"name": "Untraced"},
        headers={**system.auth("tracer"), "traceparent": "not-a-traceparent"},
    )
    assert response.status_code == 201, response.text
    trace_id = response.headers["x-trace-id"]
    assert len(trace_id) == 32 and trace_id != TRACE_ID

    envelope, header = await created_event(system, response.json()["id"])
    assert isinstance(envelope["traceparent"], str)
    assert envelope["traceparent"].startswith(f"00-{trace_id}-")
    assert header == envelope["traceparent"].encode()
