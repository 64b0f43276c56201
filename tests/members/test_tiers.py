"""Tiers: the default tier, placement in the entry tier and below it, never the core (also under
concurrent joins), the entry-tier setting, the tier an admin or an invite chooses, moving a
member by hand, the member-list filters, and how bad input is answered."""

import asyncio
from collections import Counter
from typing import Any

import httpx

from services.common.components import MEMBERS
from tests.members.helpers import create_community, join, tiers_of
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)

PROBLEMS = "https://huoli.dev/problems/"


async def add_tier(
    client: httpx.AsyncClient, community_id: str, by: str = "owner", **fields: object
) -> httpx.Response:
    return await client.post(
        f"/v1/communities/{community_id}/tiers", json=fields, headers=actor(by)
    )


async def set_capacity(
    client: httpx.AsyncClient, community_id: str, tier_id: str, capacity: int
) -> dict[str, Any]:
    response = await client.patch(
        f"/v1/communities/{community_id}/tiers/{tier_id}",
        json={"capacity": capacity},
        headers=actor("owner"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def small_community(
    client: httpx.AsyncClient, first_tier_capacity: int, **fields: object
) -> tuple[str, dict[str, Any]]:
    """A community (its id) whose first tier, holding the owner, has this capacity."""
    community = await create_community(client, **fields)
    [first] = await tiers_of(client, community["id"])
    return community["id"], await set_capacity(
        client, community["id"], first["id"], first_tier_capacity
    )


async def test_a_new_community_has_one_tier_holding_its_owner(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    [tier] = await tiers_of(client, community["id"])
    assert (tier["name"], tier["rank"], tier["capacity"], tier["member_count"]) == (
        "一群",
        1,
        500,
        1,
    )
    members = await client.get(f"/v1/communities/{community['id']}/members", headers=actor("owner"))
    [owner] = members.json()["items"]
    assert owner["tier_id"] == tier["id"]


async def test_newcomers_join_below_the_core_then_the_community_is_full(
    client: httpx.AsyncClient,
) -> None:
    cid, first = await small_community(client, 2)  # the owner and one more
    # Alone, the core tier takes newcomers: there is nowhere else.
    assert (await join(client, cid, "u0")).json()["tier_id"] == first["id"]
    await set_capacity(client, cid, first["id"], 10)
    # Created before 二群 but ranked after it: rank decides, not creation order.
    third = (await add_tier(client, cid, name="三群", rank=3, capacity=1)).json()
    second = (await add_tier(client, cid, name="二群", rank=2, capacity=1)).json()

    placed = [(await join(client, cid, user)).json()["tier_id"] for user in ("u1", "u2")]
    assert placed == [second["id"], third["id"]]
    # 一群 has room, but newcomers earn the core group: full.
    full = assert_problem(await join(client, cid, "u3"), 409)
    assert full["type"] == PROBLEMS + "community-full"
    counts = {tier["name"]: tier["member_count"] for tier in await tiers_of(client, cid)}
    assert counts == {"一群": 2, "二群": 1, "三群": 1}


async def test_the_entry_tier_is_a_community_setting(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    cid = community["id"]
    assert community["entry_tier_id"] is None
    [first] = await tiers_of(client, cid)
    second = (await add_tier(client, cid, name="二群", rank=2)).json()
    third = (await add_tier(client, cid, name="三群", rank=3, capacity=1)).json()
    fourth = (await add_tier(client, cid, name="留级群", rank=4)).json()
    path = f"/v1/communities/{cid}"
    edited = await client.patch(path, json={"entry_tier_id": third["id"]}, headers=actor("owner"))
    assert edited.json()["entry_tier_id"] == third["id"]
    # The entry tier, then the next one below with room: never up, never the core.
    placed = [(await join(client, cid, user)).json()["tier_id"] for user in ("e1", "e2")]
    assert placed == [third["id"], fourth["id"]]
    # null goes back to the default: the tier just below the core.
    reset = await client.patch(path, json={"entry_tier_id": None}, headers=actor("owner"))
    assert reset.json()["entry_tier_id"] is None
    assert (await join(client, cid, "e3")).json()["tier_id"] == second["id"]
    # Bad input, and how each kind is answered:
    core = assert_problem(
        await client.patch(path, json={"entry_tier_id": first["id"]}, headers=actor("owner")), 409
    )
    assert core["type"] == PROBLEMS + "entry-tier-is-core"
    unknown = assert_problem(
        await client.patch(path, json={"entry_tier_id": "tier_nope"}, headers=actor("owner")), 404
    )
    assert unknown["type"] == PROBLEMS + "tier-not-found"
    assert_problem(
        await client.patch(path, json={"entry_tier_id": 7}, headers=actor("owner")),
        422,
        field="entry_tier_id",
    )
    assert_problem(
        await client.patch(path, json={"entry_tier_id": second["id"]}, headers=actor("e1")), 403
    )
    assert (await client.get(path, headers=actor("owner"))).json()["entry_tier_id"] is None


async def test_an_invite_may_name_a_tier(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    cid = community["id"]
    [first] = await tiers_of(client, cid)
    await add_tier(client, cid, name="二群", rank=2)
    invites = f"/v1/communities/{cid}/invites"
    core = await client.post(invites, json={"tier_id": first["id"]}, headers=actor("owner"))
    assert (core.status_code, core.json()["tier_id"]) == (201, first["id"])
    joined = await join(client, cid, "expert", invite_code=core.json()["code"])
    assert joined.json()["tier_id"] == first["id"]
    # A diplomat makes invites, but naming a tier is for those who manage tiers.
    assert (await join(client, cid, "dip")).status_code == 201
    dip_id = (
        await client.get(
            f"/v1/communities/{cid}/members", params={"user_id": "dip"}, headers=actor("owner")
        )
    ).json()["items"][0]["id"]
    await client.put(
        f"/v1/communities/{cid}/members/{dip_id}/role",
        json={"role": "diplomat"},
        headers=actor("owner"),
    )
    refused = assert_problem(
        await client.post(invites, json={"tier_id": first["id"]}, headers=actor("dip")), 403
    )
    assert refused["type"] == PROBLEMS + "permission-required"
    plain = await client.post(invites, json={}, headers=actor("dip"))
    assert (plain.status_code, plain.json()["tier_id"]) == (201, None)
    unknown = assert_problem(
        await client.post(invites, json={"tier_id": "tier_nope"}, headers=actor("owner")), 404
    )
    assert unknown["type"] == PROBLEMS + "tier-not-found"


async def test_owners_and_admins_move_a_member_by_hand(
    client: httpx.AsyncClient, broker: str
) -> None:
    cid, first = await small_community(client, 2)
    second = (await add_tier(client, cid, name="二群", rank=2)).json()
    member = (await join(client, cid, "star")).json()
    other = (await join(client, cid, "other")).json()
    owner_id = (
        await client.get(
            f"/v1/communities/{cid}/members", params={"user_id": "owner"}, headers=actor("owner")
        )
    ).json()["items"][0]["id"]
    move = f"/v1/communities/{cid}/members/{member['id']}/tier"
    body = {"tier_id": first["id"], "reason": "邀请他加入核心群 ✨"}
    moved = await client.post(move, json=body, headers=actor("owner"))
    assert (moved.status_code, moved.json()["tier_id"]) == (200, first["id"])
    # 一群 is full now (the owner and star): capacity holds for a move by hand too.
    full = assert_problem(
        await client.post(
            f"/v1/communities/{cid}/members/{other['id']}/tier", json=body, headers=actor("owner")
        ),
        409,
    )
    assert full["type"] == PROBLEMS + "tier-full"
    history = await client.get(
        f"/v1/communities/{cid}/members/{member['id']}/tier-changes", headers=actor("owner")
    )
    [change] = history.json()["items"]
    assert (
        change["from_tier_id"],
        change["to_tier_id"],
        change["reason"],
        change["changed_by"],
    ) == (
        second["id"],
        first["id"],
        "邀请他加入核心群 ✨",
        "owner",
    )
    async with KafkaProbe(broker) as probe:
        [event] = await probe.events(
            "huoli.members",
            type="member.tier_changed",
            where=lambda e: e["data"]["member_id"] == member["id"],
        )
    assert (event["data"]["reason"], event["data"]["note"], event["data"]["to_tier_id"]) == (
        "manual",
        "邀请他加入核心群 ✨",
        first["id"],
    )
    # Bad input, and how each kind is answered:
    again = assert_problem(await client.post(move, json=body, headers=actor("owner")), 409)
    assert again["type"] == PROBLEMS + "already-in-tier"
    assert_problem(await client.post(move, json=body, headers=actor("other")), 403)
    assert_problem(await client.post(move, json=body, headers=actor("nobody")), 404)
    assert_problem(
        await client.get(
            f"/v1/communities/{cid}/members/{member['id']}/tier-changes", headers=actor("other")
        ),
        403,
    )
    owner_move = assert_problem(
        await client.post(
            f"/v1/communities/{cid}/members/{owner_id}/tier",
            json={"tier_id": second["id"], "reason": "x"},
            headers=actor("owner"),
        ),
        409,
    )
    assert owner_move["type"] == PROBLEMS + "owner-stays-in-core"
    for wrong, field in (
        ({"tier_id": second["id"]}, "reason"),
        ({"tier_id": second["id"], "reason": ""}, "reason"),
        ({"reason": "x"}, "tier_id"),
        ({"tier_id": second["id"], "reason": "x", "extra": 1}, "extra"),
    ):
        assert_problem(
            await client.post(move, json=wrong, headers=actor("owner")), 422, field=field
        )
    unknown_tier = assert_problem(
        await client.post(
            move, json={"tier_id": "tier_nope", "reason": "x"}, headers=actor("owner")
        ),
        404,
    )
    assert unknown_tier["type"] == PROBLEMS + "tier-not-found"
    unknown_member = assert_problem(
        await client.post(
            f"/v1/communities/{cid}/members/mbr_nope/tier",
            json={"tier_id": second["id"], "reason": "x"},
            headers=actor("owner"),
        ),
        404,
    )
    assert unknown_member["type"] == PROBLEMS + "member-not-found"


async def test_pending_members_hold_their_seat(client: httpx.AsyncClient) -> None:
    cid, tier = await small_community(client, 2, join_policy="approval")
    waiting = await join(client, cid, "p1")
    assert (waiting.json()["status"], waiting.json()["tier_id"]) == ("pending", tier["id"])
    assert_problem(await join(client, cid, "p2"), 409)


async def test_twenty_concurrent_joins_never_overfill_a_tier(client: httpx.AsyncClient) -> None:
    cid, _first = await small_community(client, 5)  # the owner and 4 more
    second = (await add_tier(client, cid, name="二群", rank=2, capacity=5)).json()
    third = (await add_tier(client, cid, name="三群", rank=3, capacity=4)).json()

    responses = await asyncio.gather(*(join(client, cid, f"c{i}") for i in range(20)))

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 9, 409: 11}, statuses
    assert all(
        r.json()["type"] == PROBLEMS + "community-full" for r in responses if r.status_code == 409
    )
    placed = Counter(r.json()["tier_id"] for r in responses if r.status_code == 201)
    assert placed == {second["id"]: 5, third["id"]: 4}
    counts = [tier["member_count"] for tier in await tiers_of(client, cid)]
    assert counts == [1, 5, 4]


async def test_concurrent_placements_in_a_chosen_tier_stop_at_its_capacity(
    client: httpx.AsyncClient,
) -> None:
    community = await create_community(client)
    cid = community["id"]
    chosen = (await add_tier(client, cid, name="留级群", rank=3, capacity=5)).json()

    responses = await asyncio.gather(
        *(join(client, cid, f"r{i}", by="owner", tier_id=chosen["id"]) for i in range(20))
    )

    assert Counter(r.status_code for r in responses) == {201: 5, 409: 15}
    assert all(
        r.json()["type"] == PROBLEMS + "tier-full" for r in responses if r.status_code == 409
    )
    assert {r.json()["tier_id"] for r in responses if r.status_code == 201} == {chosen["id"]}


async def test_only_owners_and_admins_choose_a_tier(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    cid = community["id"]
    second = (await add_tier(client, cid, name="二群", rank=2)).json()
    by_owner = await join(client, cid, "v1", by="owner", tier_id=second["id"])
    assert by_owner.status_code == 201 and by_owner.json()["tier_id"] == second["id"]

    # Bad input, and how each kind is answered:
    chose_own = assert_problem(await join(client, cid, "v2", tier_id=second["id"]), 403)
    assert chose_own["type"] == PROBLEMS + "permission-required"
    unknown = assert_problem(await join(client, cid, "v3", by="owner", tier_id="tier_nope"), 404)
    assert unknown["type"] == PROBLEMS + "tier-not-found"
    other = await create_community(client)
    [foreign] = await tiers_of(client, other["id"])
    elsewhere = assert_problem(
        await join(client, cid, "v4", by="owner", tier_id=foreign["id"]), 404
    )
    assert elsewhere["type"] == PROBLEMS + "tier-not-found"
    assert_problem(
        await join(client, cid, "v5", by="owner", tier_id="bad id!"), 422, field="tier_id"
    )
    await set_capacity(client, cid, second["id"], 1)
    full = assert_problem(await join(client, cid, "v6", by="owner", tier_id=second["id"]), 409)
    assert full["type"] == PROBLEMS + "tier-full"
    assert full["tier_id"] == second["id"]


async def test_the_member_list_filters_by_tier_and_tag(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    cid = community["id"]
    [first] = await tiers_of(client, cid)
    second = (await add_tier(client, cid, name="二群", rank=2)).json()
    await join(client, cid, "t1", by="owner", tier_id=first["id"], tags=["读书", "tea"])
    await join(client, cid, "t2", tags=["读书"])
    await join(client, cid, "t3", by="owner", tier_id=first["id"], tags=["tea"])
    path = f"/v1/communities/{cid}/members"

    async def users(**params: str) -> list[str]:
        response = await client.get(path, params=params, headers=actor("owner"))
        assert response.status_code == 200, response.text
        return [member["user_id"] for member in response.json()["items"]]

    assert await users(tier_id=first["id"]) == ["owner", "t1", "t3"]
    assert await users(tier_id=second["id"]) == ["t2"]
    assert await users(tag="读书") == ["t1", "t2"]
    assert await users(tag="tea", tier_id=first["id"]) == ["t1", "t3"]
    assert await users(tag="读") == []  # a whole tag, not a part of one
    assert await users(tier_id="tier_nope") == []
    assert_problem(
        await client.get(path, params={"tier_id": "x y"}, headers=actor("owner")),
        422,
        field="tier_id",
    )
    assert_problem(
        await client.get(path, params={"tag": ""}, headers=actor("owner")), 422, field="tag"
    )
    assert_problem(
        await client.get(path, params={"tag": "a\x00"}, headers=actor("owner")), 422, field="tag"
    )


async def test_only_owners_and_admins_manage_tiers(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    cid = community["id"]
    [first] = await tiers_of(client, cid)
    await join(client, cid, "plain")
    forbidden = assert_problem(await add_tier(client, cid, by="plain", name="二群", rank=2), 403)
    assert forbidden["type"] == PROBLEMS + "permission-required"
    stranger = assert_problem(await add_tier(client, cid, by="mallory", name="二群", rank=2), 404)
    assert stranger["type"] == PROBLEMS + "community-not-found"
    patched = await client.patch(
        f"/v1/communities/{cid}/tiers/{first['id']}", json={"capacity": 1}, headers=actor("plain")
    )
    assert_problem(patched, 403)
    assert_problem(await client.get(f"/v1/communities/{cid}/tiers", headers=actor("mallory")), 404)
    platform = await client.post(
        f"/v1/communities/{cid}/tiers",
        json={"name": "二群", "rank": 2},
        headers=actor("root", roles=["platform_admin"]),
    )
    assert platform.status_code == 201, platform.text
    assert [tier["name"] for tier in await tiers_of(client, cid)] == ["一群", "二群"]


async def test_bad_tier_input_is_answered_with_problems(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    cid = community["id"]
    [first] = await tiers_of(client, cid)
    for body, field in (
        ({"rank": 2}, "name"),
        ({"name": "二群"}, "rank"),
        ({"name": "", "rank": 2}, "name"),
        ({"name": "x" * 51, "rank": 2}, "name"),
        ({"name": "a\x00", "rank": 2}, "name"),
        ({"name": "二群", "rank": 0}, "rank"),
        ({"name": "二群", "rank": "first"}, "rank"),
        ({"name": "二群", "rank": 2, "capacity": 0}, "capacity"),
        ({"name": "二群", "rank": 2, "capacity": 1_000_001}, "capacity"),
        ({"name": "二群", "rank": 2, "colour": "red"}, "colour"),
    ):
        assert_problem(await add_tier(client, cid, **body), 422, field=field)
    same_rank = assert_problem(await add_tier(client, cid, name="二群", rank=1), 409)
    assert same_rank["type"] == PROBLEMS + "tier-exists"
    same_name = assert_problem(await add_tier(client, cid, name="一群", rank=2), 409)
    assert same_name["type"] == PROBLEMS + "tier-exists"
    second = (await add_tier(client, cid, name="二群", rank=2)).json()
    tier_path = f"/v1/communities/{cid}/tiers"
    renamed = await client.patch(
        f"{tier_path}/{second['id']}", json={"name": "一群"}, headers=actor("owner")
    )
    assert assert_problem(renamed, 409)["type"] == PROBLEMS + "tier-exists"
    missing = await client.patch(
        f"{tier_path}/tier_nope", json={"capacity": 3}, headers=actor("owner")
    )
    assert assert_problem(missing, 404)["type"] == PROBLEMS + "tier-not-found"
    zero = await client.patch(
        f"{tier_path}/{first['id']}", json={"capacity": 0}, headers=actor("owner")
    )
    assert_problem(zero, 422, field="capacity")
    assert_problem(await add_tier(client, "cmty_nope", name="x", rank=1), 404)
    assert [tier["name"] for tier in await tiers_of(client, cid)] == ["一群", "二群"]


async def test_leaving_frees_the_seat_and_coming_back_takes_one_again(
    client: httpx.AsyncClient,
) -> None:
    cid, _tier = await small_community(client, 2)  # the owner and one more
    first = (await join(client, cid, "l1")).json()
    left = await client.delete(f"/v1/communities/{cid}/members/{first['id']}", headers=actor("l1"))
    assert left.is_success, left.text
    assert (await join(client, cid, "l2")).status_code == 201
    back = assert_problem(await join(client, cid, "l1"), 409)
    assert back["type"] == PROBLEMS + "community-full"
