"""The members service in-process, on SQLite and PostgreSQL, with the real broker."""

import httpx

from services.common.components import MEMBERS
from tests.members.helpers import create_community
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)


async def test_create_and_read_a_community_round_trips_text(client: httpx.AsyncClient) -> None:
    long_description = "活力社群" * 400 + " 🎉"
    created = await create_community(
        client, topic="读书", description=long_description, rules=["不发广告 🚫"]
    )
    assert created["owner_user_id"] == "owner"
    assert created["timezone"] == "Asia/Shanghai"
    assert created["join_policy"] == "open"
    assert str(created["created_at"]).endswith("Z") or "+00:00" in str(created["created_at"])

    fetched = await client.get(f"/v1/communities/{created['id']}", headers=actor("owner"))
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert fetched.json()["description"] == long_description


async def test_community_created_and_member_joined_are_published(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await create_community(client)
    joined = await client.post(
        f"/v1/communities/{community['id']}/members",
        json={"user_id": "bob", "display_name": "小明 Bob"},
        headers=actor("bob"),
    )
    assert joined.status_code == 201, joined.text
    member = joined.json()
    assert member["status"] == "active" and member["role"] == "member"

    async with KafkaProbe(broker) as probe:
        [created_event] = await probe.events(
            "huoli.members",
            type="community.created",
            where=lambda e: e["communityid"] == community["id"],
        )
        [joined_event] = await probe.events(
            "huoli.members",
            type="member.joined",
            where=lambda e: e["data"]["member_id"] == member["id"],
        )
    assert created_event["specversion"] == "1.0"
    assert created_event["source"] == "huoli/members"
    assert created_event["data"]["name"] == "读书会 📚 Reading club"
    assert joined_event["subject"] == member["id"]
    assert joined_event["data"]["display_name"] == "小明 Bob"


async def test_approval_policy_leaves_the_member_pending(client: httpx.AsyncClient) -> None:
    community = await create_community(client, join_policy="approval")
    joined = await client.post(
        f"/v1/communities/{community['id']}/members",
        json={"user_id": "carol", "display_name": "Carol"},
        headers=actor("carol"),
    )
    assert joined.status_code == 201
    assert joined.json()["status"] == "pending"


async def test_invite_only_without_a_code_is_forbidden(client: httpx.AsyncClient) -> None:
    community = await create_community(client, join_policy="invite_only")
    response = await client.post(
        f"/v1/communities/{community['id']}/members",
        json={"user_id": "dave", "display_name": "Dave", "invite_code": "nope"},
        headers=actor("dave"),
    )
    assert_problem(response, 403)


async def test_joining_twice_conflicts_and_keeps_one_membership(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    path = f"/v1/communities/{community['id']}/members"
    body = {"user_id": "erin", "display_name": "Erin"}
    assert (await client.post(path, json=body, headers=actor("erin"))).status_code == 201
    problem = assert_problem(await client.post(path, json=body, headers=actor("erin")), 409)
    assert "erin" in problem["detail"]
    # (Listed by the owner: a plain member sees only their own user id.)
    listed = await client.get(path, headers=actor("owner"))
    assert [m["user_id"] for m in listed.json()["items"]] == ["owner", "erin"]


async def test_the_creator_is_the_owning_member_and_announced_as_such(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await create_community(client)
    path = f"/v1/communities/{community['id']}/members"
    [owner] = (await client.get(path, headers=actor("owner"))).json()["items"]
    assert (owner["user_id"], owner["role"], owner["status"]) == ("owner", "owner", "active")
    again = await client.post(
        path, json={"user_id": "owner", "display_name": "Me again"}, headers=actor("owner")
    )
    assert_problem(again, 409)
    async with KafkaProbe(broker) as probe:
        [joined] = await probe.events(
            "huoli.members",
            type="member.joined",
            where=lambda e: e["data"]["member_id"] == owner["id"],
        )
    assert joined["communityid"] == community["id"]
    assert (joined["data"]["role"], joined["data"]["user_id"]) == ("owner", "owner")


async def test_only_members_see_who_else_is_in(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    path = f"/v1/communities/{community['id']}/members"
    [owner] = (await client.get(path, headers=actor("owner"))).json()["items"]
    for where in (path, f"{path}/{owner['id']}"):
        problem = assert_problem(await client.get(where, headers=actor("mallory")), 404)
        assert problem["type"].endswith("/community-not-found")
        admin = actor("root", roles=["platform_admin"])
        assert (await client.get(where, headers=admin)).status_code == 200
    # A pending member is not in yet.
    waiting = await create_community(client, join_policy="approval")
    waiting_path = f"/v1/communities/{waiting['id']}/members"
    await client.post(
        waiting_path, json={"user_id": "carol", "display_name": "C"}, headers=actor("carol")
    )
    assert_problem(await client.get(waiting_path, headers=actor("carol")), 404)
    # The community itself is hidden from strangers too, unless its owner lists it
    # (tests/members/test_community_privacy.py).
    assert_problem(await client.get(f"/v1/communities/{community['id']}", headers=actor("x")), 404)


async def test_only_the_user_or_the_owner_may_add_a_member(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    path = f"/v1/communities/{community['id']}/members"
    stranger = await client.post(
        path, json={"user_id": "frank", "display_name": "Frank"}, headers=actor("mallory")
    )
    assert_problem(stranger, 403)
    by_owner = await client.post(
        path, json={"user_id": "frank", "display_name": "Frank"}, headers=actor("owner")
    )
    assert by_owner.status_code == 201


async def test_lists_paginate_with_cursors(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    path = f"/v1/communities/{community['id']}/members"
    for name in ("u1", "u2", "u3"):
        await client.post(path, json={"user_id": name, "display_name": name}, headers=actor(name))
    # The owner reads: a plain member sees only their own user id.
    reader = actor("owner")
    first = (await client.get(path, params={"limit": 2}, headers=reader)).json()
    assert [m["user_id"] for m in first["items"]] == ["owner", "u1"]
    assert first["next_cursor"]
    second = (
        await client.get(path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=reader)
    ).json()
    assert [m["user_id"] for m in second["items"]] == ["u2", "u3"]
    assert second["next_cursor"] is None


async def test_bad_input_is_answered_with_problems(client: httpx.AsyncClient) -> None:
    headers = actor()
    assert_problem(
        await client.post("/v1/communities", json={}, headers=headers), 422, field="name"
    )
    assert_problem(
        await client.post("/v1/communities", json={"name": 42}, headers=headers), 422, field="name"
    )
    assert_problem(
        await client.post(
            "/v1/communities", json={"name": "x", "timezone": "Mars/Base"}, headers=headers
        ),
        422,
        field="timezone",
    )
    assert_problem(
        await client.post(
            "/v1/communities", json={"name": "x", "join_policy": "vip"}, headers=headers
        ),
        422,
        field="join_policy",
    )
    assert_problem(
        await client.post("/v1/communities", json={"name": "x", "colour": "red"}, headers=headers),
        422,
        field="colour",
    )
    assert_problem(
        await client.post("/v1/communities", json={"name": "x" * 101}, headers=headers),
        422,
        field="name",
    )
    assert_problem(await client.get("/v1/communities/cmty_nope", headers=headers), 404)
    assert_problem(
        await client.post(
            "/v1/communities/cmty_nope/members",
            json={"user_id": "alice", "display_name": "A"},
            headers=headers,
        ),
        404,
    )
    assert_problem(
        await client.get("/v1/communities", params={"limit": 0}, headers=headers),
        422,
        field="limit",
    )
    assert_problem(
        await client.get("/v1/communities", params={"cursor": "%%%"}, headers=headers),
        422,
        field="cursor",
    )
    # Well-formed but not ours: decodes to no id.
    assert_problem(
        await client.get("/v1/communities", params={"cursor": "AAAA"}, headers=headers),
        422,
        field="cursor",
    )
    assert_problem(await client.get("/v1/communities"), 401)
    oversized = await client.post(
        "/v1/communities",
        content=b"x" * 2_000_000,
        headers={**headers, "content-type": "application/json"},
    )
    assert_problem(oversized, 413)
    listed = await client.get("/v1/communities", headers=headers)
    assert listed.json()["items"] == []  # nothing half-written by any of the above
