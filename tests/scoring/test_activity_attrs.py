"""An activity's free-form `attrs`: what the API accepts, the ledger consumer accepts too.

The API validates `attrs` with `JsonObject`, and so does the `activity.recorded` event the
consumer parses: anything past the bounds is a 422 naming `attrs` at the door (never a 500 or a
202 that the consumer later dead-letters), and anything within them crosses Kafka and is scored.
"""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from services.common.events.catalogue import ActivityRecorded
from services.common.fields import JSON_OBJECT_MAX_BYTES, JSON_OBJECT_MAX_DEPTH
from services.scoring.app import create_app
from services.scoring.settings import ScoringSettings
from services.scoring.tables import membership
from tests.support import (
    KafkaProbe,
    actor,
    assert_problem,
    eventually,
    running_service,
    seed_membership,
)

CONSUMER_TIMEOUT = 60.0


def nested(depth: int) -> dict[str, Any]:
    """An object `depth` levels deep: {"a": {"a": … {"a": 1}}}."""
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    result: dict[str, Any] = value
    return result


def exactly_max_bytes() -> dict[str, Any]:
    padding = JSON_OBJECT_MAX_BYTES - len(json.dumps({"t": ""}, separators=(",", ":")))
    return {"t": "x" * padding}


# Each bad `attrs` and a word the 422's message must contain.
BAD_ATTRS: dict[str, tuple[dict[str, Any], str]] = {
    "integer of 2**64": ({"n": 18446744073709551616}, "64-bit"),
    "integer below -2**63": ({"n": -(2**63) - 1}, "64-bit"),
    "nested 300 deep": (nested(300), "deeper"),
    "nested 250 deep": (nested(250), "deeper"),
    "nested one past the limit": (nested(JSON_OBJECT_MAX_DEPTH + 1), "deeper"),
    "lists nested past the limit": ({"l": json.loads("[" * 40 + "]" * 40)}, "deeper"),
    "lone surrogate": ({"s": "\ud800"}, "surrogate"),
    "lone surrogate in a key": ({"\udfff": 1}, "surrogate"),
    "NUL in a value": ({"s": "a\x00b"}, "NUL"),
    "NUL in a key": ({"a\x00": 1}, "NUL"),
    "over 4 KiB": ({**exactly_max_bytes(), "u": ""}, "bytes"),
}

# Bodies only a hand-written document can carry: Python's json module reads these literals.
BAD_RAW_ATTRS = {
    "NaN": ("NaN", "not finite"),
    "Infinity": ("-Infinity", "not finite"),
    "a number too large for a float": ("1e400", "not finite"),
}

# At the bounds, each on its own member: every one must be scored.
ACCEPTED_ATTRS: dict[str, dict[str, Any]] = {
    "m-deepest": nested(JSON_OBJECT_MAX_DEPTH),
    "m-int64": {"max": 2**63 - 1, "min": -(2**63), "list": [0, -1, 1.5e300, True, None]},
    "m-unicode": {"文本 👋": "大家好 🌸", "escaped": "\u00e9\u2028"},
    "m-largest": exactly_max_bytes(),
}


def activity(community_id: str, member_id: str, attrs: Any) -> dict[str, Any]:
    return {
        "id": f"act-{uuid.uuid4().hex}",
        "community_id": community_id,
        "member_id": member_id,
        "type": "message",
        "occurred_at": datetime.now(UTC).isoformat(),
        "attrs": attrs,
    }


def scoring_settings(database_url: str, broker: str, *, run_consumers: bool) -> ScoringSettings:
    return ScoringSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker,
        environment="test",
        run_consumers=run_consumers,
    )


@pytest.fixture
async def api(database_url: str, broker: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = scoring_settings(database_url, broker, run_consumers=False)
    async with running_service(create_app(settings)) as client:
        yield client


def _post(client: httpx.AsyncClient, body: bytes) -> Any:
    return client.post(
        "/v1/activities",
        content=body,
        headers={**actor("partner-bot"), "content-type": "application/json"},
    )


@pytest.mark.parametrize("case", list(BAD_ATTRS))
async def test_attrs_past_the_bounds_are_a_422_naming_attrs(
    api: httpx.AsyncClient, case: str
) -> None:
    attrs, reason = BAD_ATTRS[case]
    # json.dumps writes what a client may send: wide integers, escaped lone surrogates, depth.
    response = await _post(api, json.dumps([activity("cmty_x", "m-1", attrs)]).encode())
    problem = assert_problem(response, 422, field="attrs")
    assert problem["type"].endswith("/validation-error")
    [error] = problem["errors"]
    assert error["loc"] == ["body", "items", 0, "attrs"]
    assert reason in error["msg"], error


@pytest.mark.parametrize("case", list(BAD_RAW_ATTRS))
async def test_non_finite_numbers_in_attrs_are_a_422(api: httpx.AsyncClient, case: str) -> None:
    literal, reason = BAD_RAW_ATTRS[case]
    template = json.dumps([activity("cmty_x", "m-1", {"n": "NUMBER"})])
    body = template.replace('"NUMBER"', literal).encode()
    problem = assert_problem(await _post(api, body), 422, field="attrs")
    assert reason in problem["errors"][0]["msg"]


@pytest.mark.parametrize("case", [*BAD_ATTRS, *BAD_RAW_ATTRS])
def test_the_event_refuses_what_the_api_refuses(case: str) -> None:
    """The consumer parses `activity.recorded` with the same type: one rule, two doors."""
    raw = BAD_RAW_ATTRS.get(case)
    attrs = BAD_ATTRS[case][0] if raw is None else {"n": json.loads(raw[0])}
    with pytest.raises(ValidationError) as refused:
        ActivityRecorded(
            activity_id="a1",
            community_id="cmty_x",
            member_id="m-1",
            activity_type="message",
            occurred_at=datetime.now(UTC),
            attrs=attrs,
        )
    assert refused.value.errors()[0]["loc"] == ("attrs",)


async def test_attrs_at_the_bounds_are_accepted_and_scored(database_url: str, broker: str) -> None:
    settings = scoring_settings(database_url, broker, run_consumers=True)
    cid = f"cmty_{uuid.uuid4().hex[:20]}"
    batch = [activity(cid, member, attrs) for member, attrs in ACCEPTED_ATTRS.items()]
    app = create_app(settings)
    async with running_service(app) as client:
        # The members' ids are m-<user>: "m-deepest" is user "deepest".
        members = {member.removeprefix("m-"): "member" for member in ACCEPTED_ATTRS}
        roles = {"partner-bot": "admin", "alice": "member", **members}
        await seed_membership(app, membership, cid, roles)
        response = await _post(client, json.dumps(batch).encode())
        assert response.status_code == 202, response.text
        assert response.json() == {
            "accepted": len(batch),
            "duplicates": 0,
            "rejected": [],
            "pending": [],
        }

        async def all_scored() -> None:
            board = await client.get(
                f"/v1/communities/{cid}/leaderboard", params={"limit": 50}, headers=actor()
            )
            assert board.status_code == 200, board.text
            assert {item["member_id"] for item in board.json()["items"]} == set(ACCEPTED_ATTRS)

        # Scored means the ledger consumer took every one of them, none dead-lettered.
        await eventually(all_scored, timeout=CONSUMER_TIMEOUT)

    async with KafkaProbe(broker) as probe:
        events = await probe.events(
            "huoli.activities",
            type=ActivityRecorded.type,
            count=len(batch),
            where=lambda event: event["communityid"] == cid,
        )
    carried = {event["data"]["member_id"]: event["data"]["attrs"] for event in events}
    assert carried == ACCEPTED_ATTRS
