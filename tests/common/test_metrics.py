"""/metrics on a service: request latency by route template, the outbox gauges, consumer lag
and dead letters, in Prometheus's text format."""

import uuid
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from services.common.api.metrics import _route_of
from services.common.components import CONTENT, MEMBERS
from services.common.metrics import UNMATCHED_ROUTE
from tests.members.helpers import create_community
from tests.support import actor, eventually, publish_raw, service_client

client = service_client(MEMBERS)
content_client = service_client(CONTENT)


def samples(text: str, name: str) -> list[dict[str, str]]:
    return [
        sample.labels
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


async def test_latency_is_labelled_by_route_template_not_by_path(
    client: httpx.AsyncClient,
) -> None:
    community = await create_community(client)
    for _ in range(3):
        fetched = await client.get(f"/v1/communities/{community['id']}", headers=actor("owner"))
        assert fetched.status_code == 200
    assert (await client.get("/v1/no-such-thing/12345", headers=actor("bob"))).status_code == 404

    exposition = await client.get("/metrics")
    assert exposition.status_code == 200
    assert exposition.headers["content-type"].startswith("text/plain")
    counts = samples(exposition.text, "huoli_http_request_duration_seconds_count")
    routes = {labels["route"] for labels in counts if labels["component"] == "members"}
    assert "/v1/communities/{community_id}" in routes
    assert "unmatched" in routes
    assert not any(community["id"] in route or "12345" in route for route in routes)
    reads = REGISTRY.get_sample_value(
        "huoli_http_request_duration_seconds_count",
        {
            "component": "members",
            "method": "GET",
            "route": "/v1/communities/{community_id}",
            "status": "200",
        },
    )
    assert reads is not None and reads >= 3


@pytest.mark.parametrize(
    ("path", "template", "label"),
    [
        ("/v1/communities/c-1", "/communities/{community_id}", "/v1/communities/{community_id}"),
        ("/communities/c-1", "/communities/{community_id}", "/communities/{community_id}"),
        ("/v1/c/c-1/members", "/c/{community_id}/members", "/v1/c/{community_id}/members"),
        ("/metrics", "/metrics", "/metrics"),
        ("/x", "/a/b", "/a/b"),
    ],
)
def test_the_route_label_is_the_prefix_the_path_was_included_under_and_the_template(
    path: str, template: str, label: str
) -> None:
    assert _route_of({"path": path, "route": SimpleNamespace(path=template)}) == label
    assert _route_of({"path": path}) == UNMATCHED_ROUTE


async def test_outbox_gauges_follow_the_relay(client: httpx.AsyncClient) -> None:
    await create_community(client)

    async def drained() -> None:
        exposition = (await client.get("/metrics")).text
        [backlog] = [
            labels
            for labels in samples(exposition, "huoli_outbox_backlog")
            if labels["component"] == "members"
        ]
        assert backlog is not None
        assert REGISTRY.get_sample_value("huoli_outbox_backlog", {"component": "members"}) == 0
        assert (
            REGISTRY.get_sample_value("huoli_outbox_oldest_age_seconds", {"component": "members"})
            == 0
        )

    # The sampler runs at start-up and every few seconds; the relay publishes within a second.
    await eventually(drained, timeout=60)


async def test_a_dead_letter_and_the_consumer_lag_are_counted(
    content_client: httpx.AsyncClient, broker: str
) -> None:
    # Content consumes huoli.members into its membership projection.
    labels = {"group": "content.membership", "topic": "huoli.members"}
    before = REGISTRY.get_sample_value("huoli_consumer_dead_letters_total", labels) or 0.0
    await publish_raw(broker, "huoli.members", b"not json at all " + uuid.uuid4().hex.encode())

    async def counted() -> None:
        after = REGISTRY.get_sample_value("huoli_consumer_dead_letters_total", labels) or 0.0
        assert after >= before + 1
        exposition = (await content_client.get("/metrics")).text
        lag = [
            labels
            for labels in samples(exposition, "huoli_consumer_lag")
            if labels["group"] == "content.membership"
        ]
        assert lag, "the consumer reports its lag once it has consumed"

    await eventually(counted, timeout=30)
