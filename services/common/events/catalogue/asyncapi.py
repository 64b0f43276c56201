"""The event contract as an AsyncAPI 3.0 document, made from the catalogue: one channel per Kafka
topic, one message per event type (its CloudEvents envelope around the type's `data` schema),
and the Kafka key and headers every message carries. The gateway serves it at /asyncapi.json."""

from typing import Any

from services.common.events.catalogue.base import EVENT_TYPES, SOURCES, DomainEvent, topic_of
from services.common.events.envelope import CloudEvent
from services.common.tracing import TRACEPARENT_HEADER

ASYNCAPI_VERSION = "3.0.0"
CONTENT_TYPE = "application/cloudevents+json"
_SCHEMAS = "#/components/schemas/"

_TOPIC_DESCRIPTIONS = {
    "members": "Communities, memberships, roles, tiers, invites, sanctions and erasure.",
    "content": "Content through its workflow, screening hits and poll votes.",
    "events": "Events, registrations and the waitlist, check-ins, feedback, lotteries and 打卡.",
    "scoring": "Points, levels, badges, segments, closed leaderboard periods, health alerts "
    "and the engagement credited per day.",
    "activities": "Every activity the API accepted (`POST /v1/activities`), in the order the "
    "ledger applies them.",
    "gateway": "What the gateway decides on its own, such as disabling a failing webhook.",
}


def asyncapi_document(*, kafka_host: str = "localhost:9092") -> dict[str, Any]:
    schemas: dict[str, Any] = {"CloudEventEnvelope": _envelope_schema()}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for source in SOURCES:
        events = sorted(
            (cls for cls in EVENT_TYPES.values() if cls.source == source), key=lambda c: c.type
        )
        if not events:
            continue
        channel_messages: dict[str, Any] = {}
        for event in events:
            name = _message_name(event)
            schemas[_data_schema_name(event)] = _data_schema(event, schemas)
            messages[name] = _message(event)
            channel_messages[name] = {"$ref": f"#/components/messages/{name}"}
        channels[source] = {
            "address": topic_of(source),
            "title": topic_of(source),
            "description": _TOPIC_DESCRIPTIONS.get(source, ""),
            "messages": channel_messages,
        }
        operations[f"publish{source.capitalize()}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{source}"},
            "summary": f"Huoli publishes these to `{topic_of(source)}`.",
            "messages": [
                {"$ref": f"#/channels/{source}/messages/{name}"} for name in channel_messages
            ],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Huoli events",
            "version": "1.0.0",
            "description": (
                "Every domain event Huoli publishes, on Kafka, as a CloudEvents 1.0 envelope in "
                "structured JSON mode: the envelope's attributes (`id`, `source`, `type`, "
                "`time`, `subject`, `communityid`, `traceparent`) beside the event's `data`. "
                "The Kafka key is the community id, so one community's events keep their "
                "order on one partition; delivery is at least once, so consumers drop a "
                "repeated `id`. A message that still fails a consumer after retries goes to "
                "`<topic>.dlq`. Webhooks deliver the same `data` shapes."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": kafka_host,
                "protocol": "kafka",
                "description": "The broker the services publish to (KAFKA_BOOTSTRAP_SERVERS).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _message_name(event: type[DomainEvent]) -> str:
    return event.type.replace(".", "_")


def _data_schema_name(event: type[DomainEvent]) -> str:
    return event.__name__


def _data_schema(event: type[DomainEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = event.model_json_schema(ref_template=_SCHEMAS + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are named {name!r} in the catalogue")
    return schema


def _envelope_schema() -> dict[str, Any]:
    schema = CloudEvent.model_json_schema()
    schema["description"] = "The CloudEvents 1.0 attributes every message carries."
    schema["properties"]["source"]["description"] = "`huoli/<service>`: who published it."
    schema["properties"]["communityid"]["description"] = "The community; also the Kafka key."
    schema["properties"]["traceparent"]["description"] = "W3C trace context of the cause."
    return schema


def _message(event: type[DomainEvent]) -> dict[str, Any]:
    doc = (event.__doc__ or "").strip()
    message: dict[str, Any] = {
        "name": event.type,
        "title": event.type,
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "description": "Kafka record headers.",
            "properties": {
                TRACEPARENT_HEADER: {
                    "type": "string",
                    "description": "The envelope's `traceparent`, for tools that read the W3C "
                    "header; absent when the cause was not traced.",
                }
            },
        },
        "payload": {
            "allOf": [
                {"$ref": _SCHEMAS + "CloudEventEnvelope"},
                {
                    "type": "object",
                    "required": ["type", "subject", "communityid", "data"],
                    "properties": {
                        "type": {"const": event.type},
                        "subject": {
                            "type": "string",
                            "description": f"`data.{event.subject_field}`",
                        },
                        "communityid": {
                            "type": "string",
                            "description": f"`data.{event.community_field}`",
                        },
                        "data": {"$ref": _SCHEMAS + _data_schema_name(event)},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The community id."},
                "bindingVersion": "0.5.0",
            }
        },
    }
    if doc:
        message["summary"] = doc.splitlines()[0]
        message["description"] = doc
    return message
