"""Issue 21 in the members service: invites are listed and revoked, empty tiers deleted, and a
member's user id is shown to the member and to staff only. On SQLite and PostgreSQL."""

import httpx

from services.common.components import MEMBERS
from tests.members.helpers import create_community, join, tiers_of
from tests.support import actor, assert_problem, service_client

client = service_client(MEMBERS)


async def role(client: httpx.AsyncClient, cid: str, user_id: str, new_role: str) -> str:
    """Join `user_id` and give them `new_role`; returns their member id."""
    joined = await join(client, cid, user_id, by="owner")
    assert joined.status_code == 201, joined.text
    member_id: str = joined.json()["id"]
    if new_role != "member":
        changed = await client.put(
            f"/v1/communities/{cid}/members/{member_id}/role",
            json={"role": new_role},
            headers=actor("owner"),
        )
        assert changed.status_code == 200, changed.text
    return member_id


async def test_invites_are_listed_and_revoked_by_those_who_manage_them(
    client: httpx.AsyncClient,
) -> None:
    cid = (await create_community(client))["id"]
    await role(client, cid, "plain", "member")
    await role(client, cid, "envoy", "diplomat")
    made = await client.post(
        f"/v1/communities/{cid}/invites", json={"max_uses": 5}, headers=actor("envoy")
    )
    invite = made.json()
    url = f"/v1/communities/{cid}/invites"
    listed = await client.get(url, headers=actor("owner"))
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["id"], item["code"], item["uses"], item["revoked_at"]) == (
        invite["id"],
        invite["code"],
        0,
        None,
    )
    assert (await client.get(url, headers=actor("envoy"))).status_code == 200
    assert_problem(await client.get(url, headers=actor("plain")), 403)
    assert_problem(await client.get(url, headers=actor("stranger")), 404)
    one = f"{url}/{invite['id']}"
    assert_problem(await client.delete(one, headers=actor("plain")), 403)
    assert_problem(await client.delete(f"{url}/inv_nope", headers=actor("owner")), 404)
    revoked = await client.delete(one, headers=actor("owner"))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    # Revoking twice changes nothing; the code admits nobody now, and says why.
    again = await client.delete(one, headers=actor("owner"))
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    refused = await join(client, cid, "late", invite_code=invite["code"])
    assert assert_problem(refused, 403)["type"].endswith("/invite-revoked")


async def test_empty_tiers_are_deleted_by_owners_and_admins(client: httpx.AsyncClient) -> None:
    cid = (await create_community(client))["id"]
    await role(client, cid, "plain", "member")
    [core] = await tiers_of(client, cid)
    url = f"/v1/communities/{cid}/tiers"
    spare = (
        await client.post(url, json={"name": "二群", "rank": 2}, headers=actor("owner"))
    ).json()
    assert_problem(await client.delete(f"{url}/{spare['id']}", headers=actor("plain")), 403)
    assert_problem(await client.delete(f"{url}/{spare['id']}", headers=actor("stranger")), 404)
    seated = assert_problem(await client.delete(f"{url}/{core['id']}", headers=actor("owner")), 409)
    assert seated["type"].endswith("/tier-not-empty")
    assert seated["seated"] == 2
    assert (await client.delete(f"{url}/{spare['id']}", headers=actor("owner"))).status_code == 204
    assert [tier["id"] for tier in await tiers_of(client, cid)] == [core["id"]]
    assert_problem(await client.delete(f"{url}/{spare['id']}", headers=actor("owner")), 404)
    # (The owner always sits in a tier, so the last tier is never empty: `last-tier` guards
    # communities from before tiers, whose owner has none.)


async def test_user_ids_are_for_the_member_and_staff_only(client: httpx.AsyncClient) -> None:
    cid = (await create_community(client))["id"]
    plain_id = await role(client, cid, "plain", "member")
    other_id = await role(client, cid, "other", "member")
    await role(client, cid, "keeper", "enforcer")
    members = f"/v1/communities/{cid}/members"

    async def user_ids_seen_by(user: str) -> dict[str, str | None]:
        page = await client.get(members, headers=actor(user))
        assert page.status_code == 200, page.text
        return {item["id"]: item["user_id"] for item in page.json()["items"]}

    as_plain = await user_ids_seen_by("plain")
    assert as_plain[plain_id] == "plain"
    assert {uid for mid, uid in as_plain.items() if mid != plain_id} == {None}
    for staff in ("owner", "keeper"):
        assert (await user_ids_seen_by(staff))[other_id] == "other"
    one = await client.get(f"{members}/{other_id}", headers=actor("plain"))
    assert one.json()["user_id"] is None
    own = await client.get(f"{members}/{plain_id}", headers=actor("plain"))
    assert own.json()["user_id"] == "plain"
    # Finding one's own member id by user id stays open; another's is for staff.
    found = await client.get(members, params={"user_id": "plain"}, headers=actor("plain"))
    assert [item["id"] for item in found.json()["items"]] == [plain_id]
    assert_problem(
        await client.get(members, params={"user_id": "other"}, headers=actor("plain")), 403
    )
    by_staff = await client.get(members, params={"user_id": "other"}, headers=actor("keeper"))
    assert [item["id"] for item in by_staff.json()["items"]] == [other_id]
