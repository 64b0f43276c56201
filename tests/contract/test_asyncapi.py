"""The event contract as AsyncAPI 3.0, made from the event catalogue and checked by the official
parser (@asyncapi/parser, pinned in clients/typescript/package-lock.json)."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from services.common.events.catalogue import ALL_TOPICS, EVENT_TYPES
from services.common.events.catalogue.asyncapi import asyncapi_document
from tests.contract.conftest import run_node_tool


def validate(document: dict[str, Any], tools: Path, tmp_path: Path) -> tuple[bool, str]:
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = run_node_tool(tools, "node", str(tools / "validate-asyncapi.mjs"), str(path))
    return done.returncode == 0, done.stdout + done.stderr


def test_every_topic_and_event_type_is_in_the_document() -> None:
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    assert {channel["address"] for channel in document["channels"].values()} == set(ALL_TOPICS)
    messages = document["components"]["messages"]
    assert {message["name"] for message in messages.values()} == set(EVENT_TYPES)
    schemas = document["components"]["schemas"]
    for message in messages.values():
        envelope, specific = message["payload"]["allOf"]
        assert envelope == {"$ref": "#/components/schemas/CloudEventEnvelope"}
        assert specific["properties"]["type"] == {"const": message["name"]}
        data_ref = specific["properties"]["data"]["$ref"]
        event = EVENT_TYPES[message["name"]]
        assert data_ref == f"#/components/schemas/{event.__name__}"
        assert set(schemas[event.__name__]["properties"]) == set(event.model_fields)
        assert "traceparent" in message["headers"]["properties"]
    envelope = schemas["CloudEventEnvelope"]["properties"]
    assert {"specversion", "id", "source", "type", "time", "communityid", "data"} <= set(envelope)
    # A channel lists exactly its topic's event types.
    members = document["channels"]["members"]["messages"]
    assert "member_joined" in members and "activity_recorded" not in members


def test_the_official_parser_accepts_the_document(node_tools: Path, tmp_path: Path) -> None:
    valid, output = validate(asyncapi_document(), node_tools, tmp_path)
    assert valid, output
    assert f"{len(EVENT_TYPES)} messages" in output


@pytest.mark.parametrize("breakage", ["unknown action", "dangling message"])
def test_the_parser_check_refuses_a_broken_document(
    node_tools: Path, tmp_path: Path, breakage: str
) -> None:
    document = copy.deepcopy(asyncapi_document())
    if breakage == "unknown action":
        document["operations"]["publishMembers"]["action"] = "publish"
    else:
        document["channels"]["members"]["messages"]["member_joined"] = {
            "$ref": "#/components/messages/no_such_message"
        }
    valid, output = validate(document, node_tools, tmp_path)
    assert not valid, output
