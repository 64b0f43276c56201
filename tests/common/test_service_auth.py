"""A service believes X-Actor-* only with the gateway's assertion: its port alone is not enough."""

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.auth import (
    ACTOR_ASSERTION_HEADER,
    ACTOR_ROLES_HEADER,
    Actor,
    ActorVerifier,
    actor_assertion,
    signed_actor_headers,
)
from services.common.errors import Unauthenticated
from services.members.app import create_app
from services.members.settings import MembersSettings
from tests.support import actor, assert_problem, running_service

SECRET = "a-test-internal-secret-of-32-bytes-or-more"


@pytest.fixture
async def members(tmp_path: Path, broker: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = MembersSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'members.db'}",
        kafka_bootstrap_servers=broker,
        environment="test",
        internal_secret=SECRET,
        run_consumers=False,
    )
    async with running_service(create_app(settings)) as client:
        yield client


def headers_expiring_at(expires_at: int, *, user_id: str = "alice") -> dict[str, str]:
    headers = signed_actor_headers(SECRET, actor_id=user_id)
    headers[ACTOR_ASSERTION_HEADER] = actor_assertion(
        SECRET, actor_id=user_id, kind="user", roles="", expires_at=expires_at
    )
    return headers


async def test_a_signed_identity_is_believed(members: httpx.AsyncClient) -> None:
    response = await members.post(
        "/v1/communities", json={"name": "Signed"}, headers=actor("alice", secret=SECRET)
    )
    assert response.status_code == 201, response.text
    assert response.json()["owner_user_id"] == "alice"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Actor-Id": "alice"}, id="bare-actor-id"),
        pytest.param(
            {"X-Actor-Id": "alice", "X-Actor-Roles": "platform_admin"}, id="forged-admin-role"
        ),
        pytest.param({}, id="no-identity"),
        pytest.param(
            {"X-Actor-Id": "alice", ACTOR_ASSERTION_HEADER: "9999999999." + "0" * 64},
            id="forged-mac",
        ),
        pytest.param(
            {"X-Actor-Id": "alice", ACTOR_ASSERTION_HEADER: "soon." + "0" * 64},
            id="malformed-expiry",
        ),
        pytest.param({"X-Actor-Id": "alice", ACTOR_ASSERTION_HEADER: "1" * 500}, id="oversized"),
    ],
)
async def test_an_unsigned_or_forged_identity_is_401(
    members: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await members.post("/v1/communities", json={"name": "Forged"}, headers=headers)
    assert_problem(response, 401)


async def test_an_identity_signed_with_another_secret_is_401(members: httpx.AsyncClient) -> None:
    response = await members.get(
        "/v1/communities", headers=actor("alice", secret="some-other-secret-of-32-bytes-long")
    )
    assert_problem(response, 401)


async def test_an_expired_assertion_is_401(members: httpx.AsyncClient) -> None:
    response = await members.get(
        "/v1/communities", headers=headers_expiring_at(int(time.time()) - 1)
    )
    body = assert_problem(response, 401)
    assert "expired" in body["detail"]


async def test_tampered_roles_are_401(members: httpx.AsyncClient) -> None:
    headers = actor("alice", secret=SECRET)
    headers[ACTOR_ROLES_HEADER] = "platform_admin"
    response = await members.get("/v1/communities", headers=headers)
    assert_problem(response, 401)


async def test_a_different_user_under_someone_elses_assertion_is_401(
    members: httpx.AsyncClient,
) -> None:
    # A verified assertion is remembered: the cache must not let it vouch for another id.
    headers = actor("alice", secret=SECRET)
    assert (await members.get("/v1/communities", headers=headers)).status_code == 200
    response = await members.get("/v1/communities", headers={**headers, "X-Actor-Id": "mallory"})
    assert_problem(response, 401)


def test_a_remembered_assertion_stops_working_when_it_expires() -> None:
    verifier = ActorVerifier(SECRET)
    expires_at = int(time.time()) + 1
    headers = headers_expiring_at(expires_at)
    arguments = {
        "actor_id": headers["X-Actor-Id"],
        "kind": headers["X-Actor-Kind"],
        "roles": headers["X-Actor-Roles"],
        "assertion": headers[ACTOR_ASSERTION_HEADER],
    }
    assert verifier.actor(**arguments).id == "alice"
    time.sleep(max(0.0, expires_at - time.time()) + 0.05)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.actor(**arguments)


def partner_headers(communities: list[str] | None) -> dict[str, str]:
    return signed_actor_headers(SECRET, actor_id="key_1", kind="api_key", communities=communities)


def verified(headers: dict[str, str]) -> Actor:
    return ActorVerifier(SECRET).actor(
        actor_id=headers.get("X-Actor-Id"),
        kind=headers.get("X-Actor-Kind"),
        roles=headers.get("X-Actor-Roles"),
        assertion=headers.get("X-Actor-Assertion"),
        communities=headers.get("X-Actor-Communities"),
    )


def test_a_partner_acts_only_in_the_communities_its_assertion_names() -> None:
    limited = ActorVerifier(SECRET).actor(
        actor_id="key_1",
        kind="api_key",
        roles="",
        assertion=partner_headers(["c1", "c2"])["X-Actor-Assertion"],
        communities="c1,c2",
    )
    assert limited.is_partner and limited.partner_communities == {"c1", "c2"}
    assert limited.may_administer("c1") and not limited.may_administer("c3")
    every = verified(partner_headers(None))
    assert every.may_administer("anything")
    # A person with the same id is no partner and administers nothing.
    person = verified(signed_actor_headers(SECRET, actor_id="key_1"))
    assert not person.may_administer("c1")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h: h.update({"X-Actor-Communities": "c1,c9"}), id="widened"),
        pytest.param(lambda h: h.update({"X-Actor-Communities": "*"}), id="all"),
        pytest.param(lambda h: h.pop("X-Actor-Communities"), id="dropped"),
        pytest.param(lambda h: h.update({"X-Actor-Kind": "user"}), id="kind"),
    ],
)
def test_a_partners_communities_cannot_be_changed_in_transit(tamper: Any) -> None:
    headers = partner_headers(["c1"])
    tamper(headers)
    with pytest.raises(Unauthenticated):
        verified(headers)
