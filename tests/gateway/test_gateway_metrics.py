"""The gateway's /metrics: a proxied request is labelled with the service's route template."""

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.gateway.fakes import bearer


async def test_proxied_requests_are_labelled_by_template(gateway: httpx.AsyncClient) -> None:
    for event_id in ("e-1", "e-2"):
        response = await gateway.get(f"/v1/events/{event_id}", headers=bearer("alice"))
        assert response.status_code == 200, response.text
    unknown = await gateway.get("/v1/nothing/here", headers=bearer("alice"))
    assert unknown.status_code == 404

    exposition = await gateway.get("/metrics")
    assert exposition.status_code == 200
    routes = {
        sample.labels["route"]
        for family in text_string_to_metric_families(exposition.text)
        for sample in family.samples
        if sample.name == "huoli_http_request_duration_seconds_count"
        and sample.labels["component"] == "gateway"
    }
    assert "/v1/events/{event_id}" in routes
    assert "unmatched" in routes
    assert not any("e-1" in route or "nothing" in route for route in routes)
