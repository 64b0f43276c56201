"""A community is known only to its members unless its owner lists it for discovery: the list
holds the caller's communities and the listed ones (those without their owner), reading one the
caller is not in is 404 unless it is listed. In-process, on SQLite and PostgreSQL."""

import httpx

from services.common.components import MEMBERS
from tests.members.helpers import create_community, join
from tests.support import actor, assert_problem, service_client

client = service_client(MEMBERS)


async def _listing(
    client: httpx.AsyncClient, user: str, roles: tuple[str, ...] = ()
) -> dict[str, dict]:
    response = await client.get("/v1/communities", headers=actor(user, roles))
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


async def test_communities_are_private_to_their_members_unless_listed(
    client: httpx.AsyncClient,
) -> None:
    private = await create_community(client, join_policy="invite_only")
    listed = await create_community(client, listed=True)
    assert private["listed"] is False and listed["listed"] is True

    # A stranger finds the listed one, without its owner, and nothing of the other.
    seen = await _listing(client, "carol")
    assert set(seen) == {listed["id"]}
    assert seen[listed["id"]]["owner_user_id"] is None
    assert_problem(
        await client.get(f"/v1/communities/{private['id']}", headers=actor("carol")), 404
    )
    read = await client.get(f"/v1/communities/{listed['id']}", headers=actor("carol"))
    assert read.status_code == 200 and read.json()["owner_user_id"] is None

    # The owner sees both, whole.
    mine = await _listing(client, "owner")
    assert set(mine) == {private["id"], listed["id"]}
    assert {item["owner_user_id"] for item in mine.values()} == {"owner"}

    # A member sees their community whole.
    assert (await join(client, listed["id"], "bob")).status_code == 201
    bobs = await _listing(client, "bob")
    assert set(bobs) == {listed["id"]} and bobs[listed["id"]]["owner_user_id"] == "owner"

    # Taken off the list: its members still see it, strangers no longer.
    unlisted = await client.patch(
        f"/v1/communities/{listed['id']}", json={"listed": False}, headers=actor("owner")
    )
    assert unlisted.status_code == 200 and unlisted.json()["listed"] is False
    assert set(await _listing(client, "bob")) == {listed["id"]}
    assert await _listing(client, "carol") == {}
    assert_problem(await client.get(f"/v1/communities/{listed['id']}", headers=actor("carol")), 404)

    # A platform admin sees every community.
    assert {private["id"], listed["id"]} <= set(await _listing(client, "root", ("platform_admin",)))


async def test_only_the_owner_lists_a_community_and_bad_values_are_422(
    client: httpx.AsyncClient,
) -> None:
    community = await create_community(client)
    path = f"/v1/communities/{community['id']}"
    assert (await join(client, community["id"], "ada")).status_code == 201
    promoted = await client.put(
        f"{path}/members/{(await _member(client, community['id'], 'ada'))}/role",
        json={"role": "admin"},
        headers=actor("owner"),
    )
    assert promoted.status_code == 200, promoted.text
    # An admin edits the community, but listing it is the owner's choice.
    assert (await client.patch(path, json={"topic": "书"}, headers=actor("ada"))).status_code == 200
    assert_problem(await client.patch(path, json={"listed": True}, headers=actor("ada")), 403)
    assert_problem(await client.patch(path, json={"listed": None}, headers=actor("owner")), 422)
    assert_problem(await client.patch(path, json={"listed": "yes"}, headers=actor("owner")), 422)
    assert_problem(
        await client.post("/v1/communities", json={"name": "x", "listed": [1]}, headers=actor("o")),
        422,
    )


async def _member(client: httpx.AsyncClient, community_id: str, user: str) -> str:
    response = await client.get(
        f"/v1/communities/{community_id}/members", headers=actor("owner"), params={"limit": 100}
    )
    return next(item["id"] for item in response.json()["items"] if item["user_id"] == user)
