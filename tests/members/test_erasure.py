"""Erasure of a user's personal data in the members service: who may ask, what is replaced,
the events, and what is left to do a second time (nothing)."""

import httpx

from services.common.components import MEMBERS
from tests.members.helpers import create_community, join
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)


async def test_erasure_anonymises_every_membership_and_announces_it(
    client: httpx.AsyncClient, broker: str
) -> None:
    first = (await create_community(client))["id"]
    second = (await create_community(client))["id"]
    # Zoe owns a third community, is a member of two, and was warned in one.
    zoes_own = (
        await client.post("/v1/communities", json={"name": "Zoe's"}, headers=actor("zoe-9"))
    ).json()["id"]
    mine = []
    for cid in (first, second):
        joined = await join(client, cid, "zoe-9", display_name="佐伊 Zoe", tags=["kol"])
        mine.append(joined.json()["id"])
    warned = await client.post(
        f"/v1/communities/{first}/members/{mine[0]}/sanctions",
        json={"kind": "warn", "reason": "佐伊 posted her phone number"},
        headers=actor("owner"),
    )
    assert warned.status_code == 201, warned.text

    path = "/v1/users/zoe-9/personal-data"
    assert_problem(await client.delete(path, headers=actor("owner")), 403)
    erased = await client.delete(path, headers=actor("zoe-9"))
    assert erased.status_code == 202, erased.text
    assert erased.json() == {"user_id": "zoe-9", "memberships_erased": 3}

    for cid, member_id in zip((first, second), mine, strict=True):
        member = (
            await client.get(f"/v1/communities/{cid}/members/{member_id}", headers=actor("owner"))
        ).json()
        assert (member["user_id"], member["display_name"], member["tags"]) == (
            f"erased-{member_id}",
            "已注销用户",
            [],
        )
        # Erasure ends the membership; the row stays, anonymous, for the history.
        assert member["status"] == "left"
    # Her seats are free: each community's tier seats its owner alone again.
    for cid in (first, second):
        tiers = (await client.get(f"/v1/communities/{cid}/tiers", headers=actor("owner"))).json()
        assert [tier["member_count"] for tier in tiers["items"]] == [1], tiers
    # (Read by a platform admin: the community is private to members, and Zoe has left.)
    community = (
        await client.get(f"/v1/communities/{zoes_own}", headers=actor("ops", ["platform_admin"]))
    ).json()
    # An owner stays the (anonymous) owner: a community is never without one.
    assert community["owner_user_id"].startswith("erased-mbr_")
    history = await client.get(
        f"/v1/communities/{first}/members/{mine[0]}/sanctions", headers=actor("owner")
    )
    assert history.json()["items"][0]["reason"] == "[erased]"
    found = await client.get(
        f"/v1/communities/{first}/members", params={"user_id": "zoe-9"}, headers=actor("owner")
    )
    assert found.json()["items"] == []

    # Nothing is left to erase; a platform admin may ask too; the user may come back anew.
    again = await client.delete(path, headers=actor("admin", roles=["platform_admin"]))
    assert again.json()["memberships_erased"] == 0
    back = await join(client, first, "zoe-9")
    assert back.status_code == 201
    assert back.json()["id"] != mine[0]

    async with KafkaProbe(broker) as probe:
        events = await probe.events(
            "huoli.members",
            type="user.erased",
            count=3,
            where=lambda e: e["communityid"] in {first, second, zoes_own},
        )
    assert {e["communityid"] for e in events} == {first, second, zoes_own}
    assert all(
        e["data"]["replacement_user_id"] == f"erased-{e['data']['member_id']}" for e in events
    )
    async with KafkaProbe(broker) as probe:
        left = await probe.events(
            "huoli.members",
            type="member.left",
            count=2,
            where=lambda e: e["data"]["member_id"] in mine,
        )
    assert {e["data"]["user_id"] for e in left} == {f"erased-{member_id}" for member_id in mine}


async def test_erasure_refuses_bad_input(client: httpx.AsyncClient) -> None:
    assert_problem(
        await client.delete(f"/v1/users/{'x' * 200}/personal-data", headers=actor("x")), 422
    )
    assert (
        await client.delete("/v1/users/nobody-known/personal-data", headers=actor("nobody-known"))
    ).status_code == 202
