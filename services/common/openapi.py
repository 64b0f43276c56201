"""OpenAPI as the services really answer, shaped for the clients generated from it: every error
is an RFC 9457 problem, operations have short stable ids, request bodies have their own schemas
and examples, and tags say what they group."""

import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem; validation failures list each field in `errors`.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

_PROBLEM_RESPONSE = {
    "description": "Problem (RFC 9457)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}

# Every tag an operation may carry, described once; tests/common/test_openapi_contract.py fails
# for an operation whose tag is missing here.
TAG_DESCRIPTIONS: dict[str, str] = {
    "members": "Communities, joining and leaving, memberships, roles, tiers, invites, sanctions, "
    "the tier policy and the erasure of personal data (the members service).",
    "content": "Content items through review, screening and the publishing calendar; recurring "
    "series; polls and votes (the content service).",
    "events": "Events, registrations and the waitlist, check-ins, feedback, verifiable "
    "lotteries, 打卡 challenges and the iCalendar feed (the events service).",
    "scoring": "Activities, engagement, leaderboards, points, badges, segments, community "
    "metrics and health (the scoring service).",
    "moderation": "Chat moderation rules and the bot's message checks, members' reports worked "
    "as cases, lockdown, incidents with their playbooks and reviews (the members service).",
    "surveys": "Multi-question surveys (问卷): audiences, one response per member, anonymous "
    "mode, results with means and NPS, the CSV export, post-event and monthly satisfaction "
    "surveys and the community's NPS series (the members service).",
    "partners": "Partners' API keys and the scopes they carry (the gateway).",
    "webhooks": "Webhook subscriptions, their signed deliveries and redelivery (the gateway).",
}

_SCHEMA_REF = "#/components/schemas/"
_INPUT_SUFFIX = "Input"


def operation_id(route: APIRoute) -> str:
    """`listCommunities` for `list_communities`: short, stable while the function keeps its
    name, and what generators turn into method names."""
    head, *rest = route.name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """An `app.openapi` that documents problem+json errors instead of FastAPI's own shapes."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {**_PROBLEM_RESPONSE, "description": "Validation failed"}
                responses["4XX"] = _PROBLEM_RESPONSE
        describe_actor_fields(schema)
        separate_request_schemas(schema)
        add_request_examples(schema)
        used = sorted({tag for op in _operations(schema) for tag in op.get("tags", [])})
        if used:
            schema["tags"] = [
                {"name": tag, "description": TAG_DESCRIPTIONS[tag]}
                for tag in used
                if tag in TAG_DESCRIPTIONS
            ]
        app.openapi_schema = schema
        return schema

    return openapi


# Who did something is a user id, named `*_by` (or `*_by_user_id`); a member id is named
# `*_member_id`. Said on every such field, since the bare `*_by` names do not say it.
ACTOR_FIELD_DESCRIPTION = "A user id: who did it (a member id would be in a `*_member_id` field)."


def describe_actor_fields(document: dict[str, Any]) -> None:
    for schema in document.get("components", {}).get("schemas", {}).values():
        for name, prop in schema.get("properties", {}).items():
            if (name.endswith(("_by", "_by_user_id"))) and "description" not in prop:
                prop["description"] = ACTOR_FIELD_DESCRIPTION


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        yield from path_item.values()


def _request_schemas(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for operation in _operations(document):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            if "schema" in media:
                yield media["schema"]


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
            yield ref.removeprefix(_SCHEMA_REF)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable(roots: list[Any], schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    pending = [name for root in roots for name in _refs(root)]
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending.extend(_refs(schemas[name]))
    return seen


def separate_request_schemas(document: dict[str, Any]) -> None:
    """Give request bodies schemas of their own in which a defaulted field says its default in
    words, not with `default`.

    A field with a default is always in a response but optional in a request; generators such as
    openapi-typescript (at its default settings) read `default` as "always present" and would
    make the caller send it. A schema only requests use is rewritten in place; one responses
    use too gets a `<Name>Input` copy, and the requests refer to that.
    """
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    requests = list(_request_schemas(document))
    inputs = _reachable(requests, schemas)
    # Parameters count as outputs too: a query's enum may be the one a body refers to.
    outputs = _reachable(
        [op.get(part) for op in _operations(document) for part in ("responses", "parameters")],
        schemas,
    )
    # Only what holds a default changes, and what refers to something that changes.
    changing = {name for name in inputs if _has_property_default(schemas[name])}
    grew = True
    while grew:
        grew = False
        for name in inputs - changing:
            if any(ref in changing for ref in _refs(schemas[name])):
                changing.add(name)
                grew = True
    renamed = {name: name + _INPUT_SUFFIX for name in changing if name in outputs}
    for name in sorted(changing):
        rewritten = _rewrite(_without_property_defaults(schemas[name]), renamed)
        if name in renamed:
            rewritten["title"] = renamed[name]
            schemas[renamed[name]] = rewritten
        else:
            schemas[name] = rewritten
    for schema in requests:
        replacement = _rewrite(schema, renamed)
        schema.clear()
        schema.update(replacement)


def _has_property_default(schema: dict[str, Any]) -> bool:
    return any(
        isinstance(prop, dict) and "default" in prop
        for prop in schema.get("properties", {}).values()
    )


def _without_property_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(schema)
    for prop in copied.get("properties", {}).values():
        if isinstance(prop, dict) and "default" in prop:
            default = prop.pop("default")
            said = f"Optional; the default is `{_json(default)}`."
            prop["description"] = f"{prop['description']} {said}" if "description" in prop else said
    return copied


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _rewrite(node: Any, renamed: dict[str, str]) -> Any:
    if isinstance(node, dict):
        rewritten = {key: _rewrite(value, renamed) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix(_SCHEMA_REF) in renamed:
            rewritten["$ref"] = _SCHEMA_REF + renamed[ref.removeprefix(_SCHEMA_REF)]
        return rewritten
    if isinstance(node, list):
        return [_rewrite(value, renamed) for value in node]
    return node


# Values an example shows for a field of that name; anything else is made from its schema.
_EXAMPLE_VALUES: dict[str, Any] = {
    "name": "读书会",
    "display_name": "小林",
    "title": "十二月共读：《活着》",
    "body": "本周共读第三章，周六晚上线上讨论。",
    "topic": "读书",
    "description": "每月共读一本书，线上讨论，线下见面。",
    "timezone": "Asia/Shanghai",
    "location": "上海市徐汇区漕溪北路 201 号",
    "rules": ["友善交流，不发广告"],
    "tags": ["新人"],
    "reason": "连续发布广告",
    "comment": "组织得很好，下次还来。",
    "url": "https://partner.example.com/huoli/webhooks",
    "user_id": "u_alice",
    "code": "HL-7Q2K",
    "invite_code": "HL-7Q2K",
    "id": "act_20261224_0001",
    "type": "message",
    "rrule": "FREQ=WEEKLY;BYDAY=SA",
    "body_template": "本周话题：{date}",
    "slots": ["09:00", "20:00"],
    "quiet_hours": ["23:00", "07:00"],
    "option": "《活着》",
    "poll_options": ["《活着》", "《平凡的世界》"],
    "prize": "签名版《活着》",
    "tier_ids": ["tier_01"],
    "community_ids": ["cmty_01"],
    "allowed_domains": ["douban.com"],
    "scopes": ["members:read", "scoring:write"],
    "event_types": ["members.member_joined"],
    "starts_at": "2026-12-24T19:00:00+08:00",
    "ends_at": "2026-12-24T21:00:00+08:00",
    "registration_opens_at": "2026-12-10T09:00:00+08:00",
    "registration_closes_at": "2026-12-24T12:00:00+08:00",
    "expires_at": "2027-01-31T23:59:59+08:00",
}


def add_request_examples(document: dict[str, Any]) -> None:
    """Every JSON request body shows an example: the model's own when it has one, else one made
    from the schema (tests/common/test_openapi_contract.py sends each through validation)."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    for operation in _operations(document):
        media = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if media is None or "example" in media or "examples" in media:
            continue
        schema = media.get("schema", {})
        own = _resolve(_first_present(schema, schemas), schemas).get("examples")
        media["example"] = own[0] if own else _example(schema, schemas, field=None, depth=0)


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        resolved: dict[str, Any] = schemas.get(ref.removeprefix(_SCHEMA_REF), {})
        return resolved
    return schema


def _first_present(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The first choice of an anyOf/oneOf that is not `null` (an optional body's model)."""
    schema = _resolve(schema, schemas)
    for key in ("anyOf", "oneOf"):
        for choice in schema.get(key, []):
            if choice.get("type") != "null":
                return _resolve(choice, schemas)
    return schema


def _example(
    schema: dict[str, Any], schemas: dict[str, Any], *, field: str | None, depth: int
) -> Any:
    schema = _first_present(schema, schemas)
    given = schema.get("examples") or schema.get("enum") or [schema.get("const")]
    if given[0] is not None:
        return given[0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        # Nested objects show what they must; the body itself shows every field it takes.
        shown = properties if depth == 0 else {k: v for k, v in properties.items() if k in required}
        return {
            name: _example(prop, schemas, field=name, depth=depth + 1)
            for name, prop in shown.items()
        }
    if kind == "array":
        if field in _EXAMPLE_VALUES and isinstance(_EXAMPLE_VALUES[field], list):
            return _EXAMPLE_VALUES[field]
        item = _example(schema.get("items", {}), schemas, field=None, depth=depth + 1)
        return [item] * max(1, schema.get("minItems", 1))
    return _scalar_example(schema, field)


def _scalar_example(schema: dict[str, Any], field: str | None) -> Any:
    kind = schema.get("type")
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        value = max(low, min(10, schema.get("maximum", 10)))
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    return _string_example(schema, field)


def _string_example(schema: dict[str, Any], field: str | None) -> str:
    fmt = schema.get("format")
    if fmt and isinstance(_EXAMPLE_VALUES.get(field or ""), str):
        return str(_EXAMPLE_VALUES[field or ""])
    if fmt == "date-time":
        return "2026-12-24T19:00:00+08:00"
    if fmt == "date":
        return "2026-12-24"
    if fmt in ("uri", "url"):
        return str(_EXAMPLE_VALUES["url"])
    if fmt == "email":
        return "xiaolin@example.com"
    value = _EXAMPLE_VALUES.get(field or "")
    if not isinstance(value, str):
        value = f"{field.removesuffix('_id')}_01" if field and field.endswith("_id") else "示例"
    pattern = schema.get("pattern")
    if pattern and not re.search(pattern, value):
        value = "ex_01"
    low, high = schema.get("minLength", 0), schema.get("maxLength", len(value))
    padded: str = value * (low // max(len(value), 1) + 1)
    return padded[: max(low, min(len(value), high))]
