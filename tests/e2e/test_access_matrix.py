"""Who may do what, through the gateway on the real processes: every /v1 route, called by an
anonymous client, a stranger to the community, a plain member and its owner, answers only as
the table says. And a service reached directly, around the gateway, believes no one."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.common.auth import signed_actor_headers
from tests.e2e.conftest import INTERNAL_SECRET, System
from tests.support import eventually

pytestmark = pytest.mark.e2e

CALLERS = ("anonymous", "stranger", "member", "owner")
OWNER, MEMBER, STRANGER = "mx-owner", "mx-member", "mx-stranger"
USERS = {"stranger": STRANGER, "member": MEMBER, "owner": OWNER}


@dataclass(frozen=True)
class World:
    """One community with an owner and a plain member, a content item and an event in it."""

    community_id: str
    member_id: str
    content_id: str
    event_id: str


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def activity(world: World) -> list[dict[str, Any]]:
    return [
        {
            "id": fresh("act"),
            "community_id": world.community_id,
            "member_id": world.member_id,
            "type": "message",
            "occurred_at": datetime.now(UTC).isoformat(),
        }
    ]


CONTENT = {"kind": "article", "title": "Notes", "body": "Hello", "source": "member"}
EVENT = {
    "title": "Meetup",
    "kind": "salon",
    "format": "online",
    "starts_at": "2026-12-05T19:30:00+08:00",
    "ends_at": "2026-12-05T21:30:00+08:00",
}
SERIES = {
    "title": "Morning brief",
    "kind": "brief",
    "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
    "body_template": "Brief of {date}",
    "starts_at": "2027-01-04T08:00:00+08:00",
}
Body = Callable[[World], Any] | None

# Expected answers by caller: anonymous, stranger, member, owner. For POST /v1/activities, which
# answers 202 and refuses item by item, "202:<reason>" names the one item's rejection.
MATRIX: list[tuple[str, str, Body, tuple[str, str, str, str]]] = [
    ("POST", "/v1/communities", lambda w: {"name": "Another"}, ("401", "201", "201", "201")),
    ("GET", "/v1/communities", None, ("401", "200", "200", "200")),
    # The directory stays open: that is how people find a community to join.
    ("GET", "/v1/communities/{cid}", None, ("401", "200", "200", "200")),
    # Adding someone else: only the owner may (joining oneself is how a stranger gets in).
    (
        "POST",
        "/v1/communities/{cid}/members",
        lambda w: {"user_id": fresh("u"), "display_name": "New"},
        ("401", "403", "403", "201"),
    ),
    ("GET", "/v1/communities/{cid}/members", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/members/{mid}", None, ("401", "404", "200", "200")),
    ("POST", "/v1/communities/{cid}/content", lambda w: CONTENT, ("401", "404", "201", "201")),
    ("GET", "/v1/communities/{cid}/content", None, ("401", "404", "200", "200")),
    ("GET", "/v1/content/{content_id}", None, ("401", "404", "200", "200")),
    # The owner's item walks the workflow, one row after the other; a plain member may do
    # none of it (not the author, not an editor).
    (
        "PATCH",
        "/v1/content/{content_id}",
        lambda w: {"title": "Edited"},
        ("401", "404", "403", "200"),
    ),
    ("POST", "/v1/content/{content_id}/submit", None, ("401", "404", "403", "200")),
    ("POST", "/v1/content/{content_id}/approve", None, ("401", "404", "403", "200")),
    ("POST", "/v1/content/{content_id}/schedule", None, ("401", "404", "403", "200")),
    ("POST", "/v1/content/{content_id}/publish", None, ("401", "404", "403", "200")),
    ("POST", "/v1/content/{content_id}/archive", None, ("401", "404", "403", "200")),
    # The role is checked before the state: the member is refused, the owner told it is too late.
    ("POST", "/v1/content/{content_id}/reject", None, ("401", "404", "403", "409")),
    # The member votes as themselves in something that is not a poll; the owner may not vote
    # in the member's name.
    (
        "POST",
        "/v1/content/{content_id}/votes",
        lambda w: {"member_id": w.member_id, "option": "A"},
        ("401", "404", "409", "403"),
    ),
    ("GET", "/v1/communities/{cid}/calendar", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/publishing-rules", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/publishing-rules",
        lambda w: {},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/screening", None, ("401", "404", "403", "200")),
    ("PUT", "/v1/communities/{cid}/screening", lambda w: {}, ("401", "404", "403", "200")),
    ("POST", "/v1/communities/{cid}/series", lambda w: SERIES, ("401", "404", "403", "201")),
    ("POST", "/v1/communities/{cid}/events", lambda w: EVENT, ("401", "404", "403", "201")),
    ("GET", "/v1/communities/{cid}/events", None, ("401", "404", "200", "200")),
    ("GET", "/v1/events/{event_id}", None, ("401", "404", "200", "200")),
    (
        "POST",
        "/v1/activities",
        activity,
        ("401", "202:unknown_community", "202:not_allowed", "202"),
    ),
    ("GET", "/v1/communities/{cid}/leaderboard", None, ("401", "404", "200", "200")),
    (
        "GET",
        "/v1/communities/{cid}/members/{mid}/engagement",
        None,
        ("401", "404", "200", "200"),
    ),
]
CASES = [
    pytest.param(method, path, body, caller, expected, id=f"{method} {path} as {caller}")
    for method, path, body, answers in MATRIX
    for caller, expected in zip(CALLERS, answers, strict=True)
]


@pytest.fixture(scope="module")
async def world(system: System) -> World:
    owner, member = system.auth(OWNER), system.auth(MEMBER)
    created = await system.gateway.post(
        "/v1/communities", json={"name": "Access matrix"}, headers=owner
    )
    cid = created.json()["id"]
    joined = await system.gateway.post(
        f"/v1/communities/{cid}/members",
        json={"user_id": MEMBER, "display_name": "Member"},
        headers=member,
    )
    member_id = joined.json()["id"]

    async def every_service_knows_the_member() -> None:
        for path in (
            f"/v1/communities/{cid}/content",
            f"/v1/communities/{cid}/events",
            f"/v1/communities/{cid}/members/{member_id}/engagement",
        ):
            response = await system.gateway.get(path, headers=member)
            assert response.status_code == 200, response.text

    # The community reaches content, events and scoring through the broker, a moment later.
    await eventually(every_service_knows_the_member, timeout=30)
    content = await system.gateway.post(
        f"/v1/communities/{cid}/content", json=CONTENT, headers=owner
    )
    event = await system.gateway.post(f"/v1/communities/{cid}/events", json=EVENT, headers=owner)
    assert (content.status_code, event.status_code) == (201, 201), (content.text, event.text)
    return World(cid, member_id, content.json()["id"], event.json()["id"])


def outcome(response: httpx.Response) -> str:
    if response.status_code == 202:
        rejected = response.json()["rejected"]
        return "202:" + rejected[0]["reason"] if rejected else "202"
    return str(response.status_code)


@pytest.mark.parametrize(("method", "path", "body", "caller", "expected"), CASES)
async def test_each_route_answers_each_kind_of_caller_as_expected(
    system: System,
    world: World,
    method: str,
    path: str,
    body: Body,
    caller: str,
    expected: str,
) -> None:
    url = path.format(
        cid=world.community_id,
        mid=world.member_id,
        content_id=world.content_id,
        event_id=world.event_id,
    )
    headers = system.auth(USERS[caller]) if caller != "anonymous" else {}
    response = await system.gateway.request(
        method, url, json=body(world) if body else None, headers=headers
    )
    assert outcome(response) == expected, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if expected == "404":
        # A stranger learns nothing: the answer is the one for a community (or a content item,
        # an event) that does not exist.
        assert response.json()["type"].endswith("-not-found")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Actor-Id": OWNER}, id="bare-actor-id"),
        pytest.param(
            {"X-Actor-Id": STRANGER, "X-Actor-Roles": "platform_admin"}, id="forged-admin"
        ),
        pytest.param(
            signed_actor_headers("not-the-internal-secret", actor_id=OWNER), id="wrong-secret"
        ),
    ],
)
async def test_a_service_reached_directly_believes_no_unsigned_identity(
    system: System, world: World, headers: dict[str, str]
) -> None:
    members_url = system.stack.url("members")
    async with httpx.AsyncClient(base_url=members_url) as direct:
        path = f"/v1/communities/{world.community_id}/members"
        refused = await direct.get(path, headers=headers)
        assert refused.status_code == 401, refused.text
        signed = signed_actor_headers(INTERNAL_SECRET, actor_id=OWNER)
        assert (await direct.get(path, headers=signed)).status_code == 200


STRANGER_PROBES = [
    pytest.param(method, path, body, id=f"{method} {path}")
    for method, path, body, answers in MATRIX
    if "{cid}" in path and answers[1] == "404"
]


@pytest.mark.parametrize(("method", "path", "body"), STRANGER_PROBES)
async def test_a_stranger_cannot_tell_a_community_from_none(
    system: System, world: World, method: str, path: str, body: Body
) -> None:
    def ask(community_id: str) -> str:
        return path.format(cid=community_id, mid=world.member_id)

    answers = [
        await system.gateway.request(
            method, ask(cid), json=body(world) if body else None, headers=system.auth(STRANGER)
        )
        for cid in (world.community_id, "cmty_0000000000000000000000")
    ]
    real, missing = (answer.json() for answer in answers)
    assert [answer.status_code for answer in answers] == [404, 404]
    assert real["type"] == missing["type"]
    assert real["detail"].replace(world.community_id, "?") == missing["detail"].replace(
        "cmty_0000000000000000000000", "?"
    )
