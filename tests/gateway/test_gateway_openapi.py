"""One merged OpenAPI document and Swagger UI; readiness across the upstreams."""

import re
from typing import Any

import httpx
from fastapi import FastAPI

from gateway.proxy.openapi import merge_openapi
from services.common.events.catalogue.asyncapi import asyncapi_document
from tests.gateway.fakes import DOCUMENTED_PATHS, fake_upstream, free_port, serving
from tests.support import assert_problem


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def spec(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.1.0", "paths": paths, "components": {"schemas": schemas}}


def get_returning(schema: str) -> dict[str, Any]:
    return {
        "get": {"responses": {"200": {"content": {"application/json": {"schema": ref(schema)}}}}}
    }


async def test_the_merged_document_covers_every_service(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Huoli API"
    assert document["info"]["version"] == "1.0.0"
    assert set(DOCUMENTED_PATHS.values()) <= set(document["paths"])
    assert all(path.startswith("/v1/") for path in document["paths"])
    # Documented by members, routed to scoring: the document must not promise it.
    assert "/v1/communities/{community_id}/metrics" not in document["paths"]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert document["components"]["securitySchemes"]["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert document["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert "x-unavailable-services" not in document
    # The gateway's own partner endpoints are documented beside the services' paths.
    assert {"post", "get"} <= set(document["paths"]["/v1/api-keys"])
    assert "delete" in document["paths"]["/v1/api-keys/{key_id}"]

    schemas = document["components"]["schemas"]
    # Identical everywhere: kept once. Different per service: one renamed copy each.
    assert "Shared" in schemas
    assert "Thing" not in schemas
    for service, path in DOCUMENTED_PATHS.items():
        assert f"{service}_field" in schemas[f"{service}_Thing"]["properties"]
        ok = document["paths"][path]["get"]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"] == ref(f"{service}_Thing")


async def test_the_document_is_cached_once_every_service_answered(
    start_gateway: Any, fakes: dict[str, FastAPI]
) -> None:
    async with start_gateway() as client:
        before = {name: app.state.openapi_hits for name, app in fakes.items()}
        first = (await client.get("/openapi.json")).json()
        second = (await client.get("/openapi.json")).json()
        after = {name: app.state.openapi_hits for name, app in fakes.items()}
    assert first == second
    assert all(after[name] == before[name] + 1 for name in fakes)


async def test_a_partial_document_is_marked_and_not_cached(start_gateway: Any) -> None:
    port = free_port()
    async with start_gateway(urls={"events": f"http://127.0.0.1:{port}"}) as client:
        partial = (await client.get("/openapi.json")).json()
        assert partial["x-unavailable-services"] == ["events"]
        assert DOCUMENTED_PATHS["events"] not in partial["paths"]
        assert DOCUMENTED_PATHS["members"] in partial["paths"]

        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["services"]["events"] == "unreachable"
        assert ready.json()["services"]["members"] == "ok"

        async with serving(fake_upstream("events"), port=port):
            complete = (await client.get("/openapi.json")).json()
            assert "x-unavailable-services" not in complete
            assert DOCUMENTED_PATHS["events"] in complete["paths"]
            assert (await client.get("/readyz")).status_code == 200


async def test_readiness_lists_every_upstream(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "services": dict.fromkeys(("members", "content", "events", "scoring"), "ok"),
    }
    assert (await gateway.get("/healthz")).json() == {"status": "ok"}


async def test_docs_serve_swagger_ui_on_the_merged_document(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text
    # The gateway's own routes are not the API.
    assert (await gateway.get("/redoc")).status_code == 404


async def test_docs_load_nothing_from_another_host(gateway: httpx.AsyncClient) -> None:
    page = (await gateway.get("/docs")).text
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', page))
    assert not re.search(r"https?://", page), page
    assert '"validatorUrl": null' in page
    assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page)
    assert len(assets) == 3
    kinds = set()
    for asset in assets:
        response = await gateway.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000
        kinds.add(response.headers["content-type"].split(";")[0])
    assert kinds == {"text/javascript", "text/css", "image/png"}
    # Only the three files are served: anything else under assets is a 404 problem.
    assert_problem(await gateway.get("/docs/assets/redoc.standalone.js"), 404)
    assert_problem(await gateway.get("/docs/assets/%2E%2E%2Fcore.py"), 404)


def test_conflicts_rename_per_service_and_spread_to_components_that_refer_to_them() -> None:
    members = spec(
        {"/v1/communities/{cid}": get_returning("Wrapper"), "/healthz": get_returning("Health")},
        {
            "Item": {"type": "object", "properties": {"a": {"type": "string"}}},
            "Wrapper": {"type": "object", "properties": {"item": ref("Item")}},
            "Same": {"type": "integer"},
            "Health": {"type": "object"},
        },
    )
    content = spec(
        {"/v1/content/{id}": get_returning("Wrapper"), "/v1/users/{u}": get_returning("Same")},
        {
            "Item": {"type": "object", "properties": {"b": {"type": "integer"}}},
            "Wrapper": {"type": "object", "properties": {"item": ref("Item")}},
            "Same": {"type": "integer"},
        },
    )
    merged = merge_openapi({"members": members, "content": content, "events": None})

    schemas = merged["components"]["schemas"]
    assert set(schemas) == {
        "members_Item",
        "content_Item",
        "members_Wrapper",
        "content_Wrapper",
        "Same",
        "Health",
    }
    assert schemas["content_Wrapper"]["properties"]["item"] == ref("content_Item")
    assert schemas["members_Wrapper"]["properties"]["item"] == ref("members_Item")
    assert set(merged["paths"]) == {"/v1/communities/{cid}", "/v1/content/{id}"}
    content_ok = merged["paths"]["/v1/content/{id}"]["get"]["responses"]["200"]
    assert content_ok["content"]["application/json"]["schema"] == ref("content_Wrapper")
    assert merged["x-unavailable-services"] == ["events"]
    # The inputs are left as they were (the cache keeps them between merges).
    assert content["components"]["schemas"]["Wrapper"]["properties"]["item"] == ref("Item")


async def test_the_event_contract_is_served_beside_the_openapi(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/asyncapi.json")  # like /openapi.json: no credentials
    assert response.status_code == 200
    document = response.json()
    assert document["asyncapi"] == "3.0.0"
    assert document == asyncapi_document(kafka_host=document["servers"]["kafka"]["host"])
