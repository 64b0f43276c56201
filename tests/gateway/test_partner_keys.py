"""API keys: made and shown once, stored hashed, scoped, limited to communities, revocable;
the identity a key's call carries to the services, signed; who may manage keys."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from gateway.app import create_app
from gateway.partners.keys import digest
from gateway.tables import api_key, idempotency_record, membership
from services.common.auth import ActorVerifier
from services.common.settings import DEVELOPMENT_INTERNAL_SECRET
from tests.gateway.fakes import bearer, echoed_headers, gateway_settings
from tests.support import assert_problem, running_service, seed_membership

ADMIN = bearer("root", roles=("platform_admin",))


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient


@pytest.fixture
async def gateway(upstream_urls: dict[str, str]) -> AsyncIterator[Gateway]:
    app = create_app(gateway_settings(upstream_urls))
    async with running_service(app) as client:
        # c1: owned by "olga", "adam" its admin, "mia" a plain member; c2: owned by "otto".
        await seed_membership(
            app, membership, "c1", {"adam": "admin", "mia": "member"}, owner="olga"
        )
        await seed_membership(app, membership, "c2", owner="otto")
        yield Gateway(app, client)


async def make_key(
    client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **fields: Any
) -> dict[str, Any]:
    body = {"name": "合作方 bot 🤖", "scopes": ["members:read", "activities:write"], **fields}
    response = await client.post("/v1/api-keys", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_key_is_shown_once_and_stored_only_as_its_digest(gateway: Gateway) -> None:
    created = await make_key(gateway.client, community_ids=["c1"])
    assert created["key"].startswith("hk_live_")
    assert created["name"] == "合作方 bot 🤖"
    assert created["community_ids"] == ["c1"]
    async with gateway.app.state.runtime.read_sessions() as session:
        row = (await session.execute(select(api_key).where(api_key.c.id == created["id"]))).one()
    assert row.secret_hash == digest(created["key"])
    assert created["key"] not in str(tuple(row))

    listed = await gateway.client.get("/v1/api-keys", headers=ADMIN)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == created["id"]
    assert "key" not in item and "secret_hash" not in item


async def test_a_keys_call_carries_a_signed_partner_identity(gateway: Gateway) -> None:
    created = await make_key(gateway.client, community_ids=["c1"])
    response = await gateway.client.get(
        "/v1/communities/c1/members", headers={"X-API-Key": created["key"]}
    )
    assert response.status_code == 200, response.text
    received = echoed_headers(response)
    assert "x-api-key" not in received
    # The service's own check believes it, and learns the partner's communities.
    actor = ActorVerifier(DEVELOPMENT_INTERNAL_SECRET).actor(
        actor_id=received["x-actor-id"][0],
        kind=received["x-actor-kind"][0],
        roles=received["x-actor-roles"][0],
        assertion=received["x-actor-assertion"][0],
        communities=received["x-actor-communities"][0],
    )
    assert (actor.id, actor.kind, actor.partner_communities) == (
        created["id"],
        "api_key",
        frozenset({"c1"}),
    )
    assert actor.may_administer("c1")
    assert not actor.may_administer("c2")
    assert not actor.is_platform_admin


@pytest.mark.parametrize(
    ("method", "path", "body", "slug"),
    [
        # A scope the key lacks.
        ("POST", "/v1/communities/c1/events", {}, "scope-required"),
        # A route no key may call.
        ("POST", "/v1/communities", {"name": "x"}, "not-for-api-keys"),
        ("POST", "/v1/communities/c1/members", {}, "not-for-api-keys"),
        ("DELETE", "/v1/users/u1/personal-data", None, "not-for-api-keys"),
        ("GET", "/v1/me/memberships", None, "not-for-api-keys"),
        # A community outside the key's limit, in the path or in an activity.
        ("GET", "/v1/communities/c2/members", None, "community-not-covered"),
        (
            "POST",
            "/v1/activities",
            [{"community_id": "c1"}, {"community_id": "c2"}],
            "community-not-covered",
        ),
    ],
)
async def test_a_key_calls_only_what_its_scopes_and_communities_allow(
    gateway: Gateway, method: str, path: str, body: Any, slug: str
) -> None:
    created = await make_key(gateway.client, community_ids=["c1"])
    response = await gateway.client.request(
        method, path, json=body, headers={"X-API-Key": created["key"]}
    )
    problem = assert_problem(response, 403)
    assert problem["type"].endswith(slug)


async def test_a_key_for_every_community_reaches_each(gateway: Gateway) -> None:
    created = await make_key(gateway.client)
    assert created["community_ids"] is None
    key = {"X-API-Key": created["key"]}
    for community_id in ("c1", "c2", "anywhere"):
        response = await gateway.client.get(f"/v1/communities/{community_id}/members", headers=key)
        assert response.status_code == 200, response.text
        assert echoed_headers(response)["x-actor-communities"] == ["*"]
    activities = [{"community_id": "c1"}, {"community_id": "c2"}]
    assert (
        await gateway.client.post("/v1/activities", json=activities, headers=key)
    ).status_code == 200


@pytest.mark.parametrize(
    "key",
    ["", "hk_live_0123456789abcdef_" + "x" * 43, "Bearer nonsense", "hk_live_" + "好" * 10],
)
async def test_an_unknown_or_malformed_key_is_401(gateway: Gateway, key: str) -> None:
    response = await gateway.client.get(
        "/v1/communities/c1/members", headers={"X-API-Key": key.encode()}
    )
    assert_problem(response, 401)


async def test_a_revoked_key_stops_working(gateway: Gateway) -> None:
    created = await make_key(gateway.client, community_ids=["c1"])
    key = {"X-API-Key": created["key"]}
    assert (await gateway.client.get("/v1/communities/c1/members", headers=key)).status_code == 200
    revoked = await gateway.client.delete(f"/v1/api-keys/{created['id']}", headers=ADMIN)
    assert revoked.status_code == 204
    assert_problem(await gateway.client.get("/v1/communities/c1/members", headers=key), 401)
    assert (await gateway.client.get("/v1/api-keys", headers=ADMIN)).json()["items"] == []
    again = await gateway.client.delete(f"/v1/api-keys/{created['id']}", headers=ADMIN)
    assert again.status_code == 204  # revoking twice changes nothing


async def test_owners_and_admins_manage_the_keys_of_their_communities(gateway: Gateway) -> None:
    olga, adam, mia, otto = (bearer(user) for user in ("olga", "adam", "mia", "otto"))
    by_olga = await make_key(gateway.client, olga, community_ids=["c1"])
    await make_key(gateway.client, adam, community_ids=["c1"])
    by_otto = await make_key(gateway.client, otto, community_ids=["c2"])
    both = await make_key(gateway.client, ADMIN, community_ids=["c1", "c2"])

    def ids(response: httpx.Response) -> set[str]:
        return {item["id"] for item in response.json()["items"]}

    olgas = await gateway.client.get("/v1/api-keys", headers=olga)
    # Her community's keys, not otto's, nor one that reaches his community too.
    assert by_olga["id"] in ids(olgas) and len(ids(olgas)) == 2
    assert by_otto["id"] not in ids(olgas) and both["id"] not in ids(olgas)
    assert ids(await gateway.client.get("/v1/api-keys", headers=mia)) == set()
    assert len(ids(await gateway.client.get("/v1/api-keys", headers=ADMIN))) == 4

    # Someone else's key reads as no key at all.
    refused = await gateway.client.delete(f"/v1/api-keys/{by_otto['id']}", headers=olga)
    assert_problem(refused, 404)
    assert (
        await gateway.client.delete(f"/v1/api-keys/{by_olga['id']}", headers=adam)
    ).status_code == 204


@pytest.mark.parametrize(
    ("user", "community_ids", "status"),
    [
        ("mia", ["c1"], 403),  # a member, not owner or admin
        ("olga", ["c2"], 404),  # a community she does not belong to
        ("olga", ["c1", "nowhere"], 404),
        ("olga", None, 422),  # only platform admins make keys for every community
    ],
)
async def test_only_owners_admins_and_platform_admins_make_keys(
    gateway: Gateway, user: str, community_ids: list[str] | None, status: int
) -> None:
    body: dict[str, Any] = {"name": "bot", "scopes": ["members:read"]}
    if community_ids is not None:
        body["community_ids"] = community_ids
    response = await gateway.client.post("/v1/api-keys", json=body, headers=bearer(user))
    assert_problem(response, status, field="community_ids" if status == 422 else None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "bot", "scopes": ["root"]}, "scopes"),
        ({"name": "bot", "scopes": []}, "scopes"),
        ({"name": "", "scopes": ["members:read"]}, "name"),
        ({"name": "bot\u0000", "scopes": ["members:read"]}, "name"),
        ({"name": "bot", "scopes": ["members:read"], "community_ids": ["../x"]}, "community_ids"),
        ({"name": "bot", "scopes": ["members:read"], "extra": 1}, "extra"),
    ],
)
async def test_a_bad_key_request_names_the_field(
    gateway: Gateway, body: dict[str, Any], field: str
) -> None:
    response = await gateway.client.post("/v1/api-keys", json=body, headers=ADMIN)
    problem = assert_problem(response, 422)
    assert any(field in map(str, error["loc"]) for error in problem["errors"]), problem


async def test_keys_cannot_manage_keys_and_strangers_need_a_token(gateway: Gateway) -> None:
    created = await make_key(gateway.client, community_ids=["c1"])
    as_key = await gateway.client.get("/v1/api-keys", headers={"X-API-Key": created["key"]})
    assert assert_problem(as_key, 403)["type"].endswith("people-only")
    assert_problem(await gateway.client.get("/v1/api-keys"), 401)
    not_allowed = await gateway.client.put("/v1/api-keys", headers=ADMIN)
    assert_problem(not_allowed, 405)
    assert not_allowed.headers["allow"] == "GET, POST"


async def test_a_new_key_is_never_kept_for_an_idempotent_replay(gateway: Gateway) -> None:
    headers = {**ADMIN, "Idempotency-Key": "make-key-1"}
    body = {"name": "bot", "scopes": ["members:read"]}
    first = await gateway.client.post("/v1/api-keys", json=body, headers=headers)
    second = await gateway.client.post("/v1/api-keys", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["key"] != second.json()["key"]
    async with gateway.app.state.runtime.read_sessions() as session:
        stored = (await session.execute(select(idempotency_record))).all()
    assert stored == []
