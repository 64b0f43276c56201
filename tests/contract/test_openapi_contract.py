"""The OpenAPI document a client is generated from: short unique operationIds, request schemas
without defaults a generator would make required, an example on every request body that the API
accepts, described tags, and typed non-JSON answers."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.openapi import utils as openapi_utils
from fastapi.routing import APIRoute

from gateway.app import create_app
from gateway.proxy.openapi import MergedOpenApi
from gateway.settings import GatewaySettings
from services.common.components import SERVICES
from services.common.openapi import TAG_DESCRIPTIONS

CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """The app's operations as get_openapi sees them (FastAPI includes routers lazily, so
    `app.routes` holds the routers, not their routes)."""
    for context in routing.iter_route_contexts(app.routes):
        route = openapi_utils._get_api_route_for_openapi(context)
        if route is not None:
            yield route


def apps() -> Iterator[FastAPI]:
    for service in SERVICES:
        yield service.load_app_factory()(service.load_settings_class()(environment="test"))
    yield create_app(GatewaySettings(environment="test"))


def test_operation_ids_are_short_unique_and_camel_case(openapi_document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _m, _p, operation in operations(openapi_document)]
    assert len(ids) > 50
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for operation_id in ids:
        assert CAMEL_CASE.match(operation_id), operation_id
        assert len(operation_id) <= 30, operation_id
    by_route = {(m, p): o["operationId"] for m, p, o in operations(openapi_document)}
    assert by_route[("get", "/v1/communities")] == "listCommunities"
    assert by_route[("post", "/v1/communities")] == "createCommunity"
    assert by_route[("post", "/v1/communities/{community_id}/members")] == "joinCommunity"
    assert by_route[("post", "/v1/api-keys")] == "createApiKey"  # the gateway's own route


def _schema_of_body(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    ref: str = body["schema"]["$ref"]
    schema: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def _defaults(schema: dict[str, Any]) -> list[str]:
    return [name for name, prop in schema.get("properties", {}).items() if "default" in prop]


def test_request_bodies_carry_no_defaults_and_responses_keep_theirs(
    openapi_document: dict[str, Any],
) -> None:
    schemas = openapi_document["components"]["schemas"]
    for method, path, operation in operations(openapi_document):
        media = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if media is None:
            continue
        for name in _refs_from(media["schema"], schemas):
            assert not _defaults(schemas[name]), (method, path, name)
    create = _schema_of_body(openapi_document, "post", "/v1/communities")
    assert "rules" in create["properties"] and "rules" not in create.get("required", [])
    assert "default is `[]`" in create["properties"]["rules"]["description"]
    ladder_in = _schema_of_body(
        openapi_document, "put", "/v1/communities/{community_id}/sanction-ladder"
    )
    assert ladder_in["title"] == "SanctionLadderInput"
    # What answers still says its defaults: a response always carries those fields.
    assert _defaults(schemas["SanctionLadder"])
    assert _schema_of_body(openapi_document, "put", "/v1/communities/{community_id}/tier-policy")[
        "title"
    ] == ("TierPolicyBodyInput")


def _refs_from(node: Any, schemas: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found


@pytest.mark.parametrize("app", list(apps()), ids=lambda app: app.title)
def test_every_request_body_has_an_example_the_api_accepts(app: FastAPI) -> None:
    document = app.openapi() if app.openapi_url else _gateway_document(app)
    checked = 0
    for route in api_routes(app):
        if route.body_field is None:
            continue
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            example = operation["requestBody"]["content"]["application/json"]["example"]
            _value, errors = route.body_field.validate(example, {}, loc=("body",))
            assert not errors, (method, route.path_format, example, errors)
            checked += 1
    assert checked


def _gateway_document(app: FastAPI) -> dict[str, Any]:
    document: dict[str, Any] = MergedOpenApi.local_spec(app)
    return document


def test_every_tag_is_described(openapi_document: dict[str, Any]) -> None:
    used = {tag for _m, _p, operation in operations(openapi_document) for tag in operation["tags"]}
    described = {tag["name"]: tag["description"] for tag in openapi_document["tags"]}
    assert used <= set(described), used - set(described)
    assert all(described[tag] == TAG_DESCRIPTIONS[tag] for tag in used)


def test_the_calendar_feed_is_typed_text_calendar(openapi_document: dict[str, Any]) -> None:
    feeds = [
        operation
        for _method, path, operation in operations(openapi_document)
        if path.endswith(".ics")
    ]
    assert feeds
    for operation in feeds:
        content = operation["responses"]["200"]["content"]
        assert content == {"text/calendar": {"schema": {"type": "string"}}}


def test_ids_are_in_fields_named_for_what_they_hold(openapi_document: dict[str, Any]) -> None:
    schemas = openapi_document["components"]["schemas"]
    actor_fields = [
        (schema_name, name, prop)
        for schema_name, schema in schemas.items()
        for name, prop in schema.get("properties", {}).items()
        if name.endswith(("_by", "_by_user_id"))
    ]
    assert len(actor_fields) > 8
    for schema_name, name, prop in actor_fields:
        assert "user id" in prop["description"], (schema_name, name)
    content = schemas["ContentPublic"]["properties"]
    assert content["reviewed_by"]["deprecated"] is True
    assert {"reviewed_by_user_id", "created_by_user_id", "author_member_id"} <= set(content)
