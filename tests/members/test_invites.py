"""Invites and referrals: who may make a code, what a code lets in, why a code is refused
(each reason its own problem type), a code's last use under concurrency, and the referral the
join records and announces."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.common.components import MEMBERS
from tests.members.helpers import create_community, join
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)

PROBLEMS = "https://huoli.dev/problems/"


async def make_invite(
    client: httpx.AsyncClient, community_id: str, by: str = "owner", **fields: object
) -> httpx.Response:
    return await client.post(
        f"/v1/communities/{community_id}/invites", json=fields, headers=actor(by)
    )


async def code_for(client: httpx.AsyncClient, community_id: str, **fields: object) -> str:
    response = await make_invite(client, community_id, **fields)
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


async def member(client: httpx.AsyncClient, community_id: str, member_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/v1/communities/{community_id}/members/{member_id}", headers=actor("owner")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def owner_of(client: httpx.AsyncClient, community_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/v1/communities/{community_id}/members",
        params={"role": "owner"},
        headers=actor("owner"),
    )
    [owner] = response.json()["items"]
    assert isinstance(owner, dict)
    return owner


async def test_a_code_lets_a_user_into_an_invite_only_community_and_credits_the_inviter(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await create_community(client, join_policy="invite_only")
    cid = community["id"]
    owner = await owner_of(client, cid)
    created = await make_invite(client, cid, max_uses=3)
    assert created.status_code == 201, created.text
    invite = created.json()
    assert (invite["max_uses"], invite["uses"], invite["created_by"]) == (3, 0, owner["id"])
    assert len(invite["code"]) >= 20

    joined = await join(client, cid, "dora", invite_code=invite["code"])
    assert joined.status_code == 201, joined.text
    assert (joined.json()["status"], joined.json()["invited_by"]) == ("active", owner["id"])
    assert (await member(client, cid, owner["id"]))["referral_count"] == 1
    assert (await member(client, cid, joined.json()["id"]))["referral_count"] == 0

    async with KafkaProbe(broker) as probe:
        [announced] = await probe.events(
            "huoli.members",
            type="invite.created",
            where=lambda e: e["data"]["invite_id"] == invite["id"],
        )
        [joined_event] = await probe.events(
            "huoli.members",
            type="member.joined",
            where=lambda e: e["data"]["member_id"] == joined.json()["id"],
        )
    assert announced["subject"] == invite["id"] and announced["communityid"] == cid
    assert announced["data"]["created_by"] == owner["id"]
    assert announced["data"]["max_uses"] == 3
    assert invite["code"] not in str(announced)  # the code is what lets people in
    assert joined_event["data"]["invited_by"] == owner["id"]


async def test_a_code_records_the_inviter_on_open_and_approval_communities(
    client: httpx.AsyncClient,
) -> None:
    for policy, status, referrals in (("open", "active", 1), ("approval", "pending", 0)):
        community = await create_community(client, join_policy=policy)
        cid = community["id"]
        owner = await owner_of(client, cid)
        joined = await join(client, cid, "eve", invite_code=await code_for(client, cid))
        assert joined.status_code == 201, joined.text
        assert (joined.json()["status"], joined.json()["invited_by"]) == (status, owner["id"])
        # A pending join has not taken effect: the referral counts once it is approved.
        assert (await member(client, cid, owner["id"]))["referral_count"] == referrals


async def test_each_refused_code_says_why(client: httpx.AsyncClient) -> None:
    community = await create_community(client, join_policy="invite_only")
    cid = community["id"]
    no_code = assert_problem(await join(client, cid, "u0"), 403)
    assert no_code["type"] == PROBLEMS + "invite-required"
    unknown = assert_problem(await join(client, cid, "u1", invite_code="not-a-code"), 403)
    assert unknown["type"] == PROBLEMS + "invite-invalid"
    elsewhere = await create_community(client)
    foreign = await code_for(client, elsewhere["id"])
    wrong_community = assert_problem(await join(client, cid, "u2", invite_code=foreign), 403)
    assert wrong_community["type"] == PROBLEMS + "invite-invalid"

    once = await code_for(client, cid, max_uses=1)
    assert (await join(client, cid, "u3", invite_code=once)).status_code == 201
    used_up = assert_problem(await join(client, cid, "u4", invite_code=once), 403)
    assert used_up["type"] == PROBLEMS + "invite-used-up"
    assert used_up["max_uses"] == 1

    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    short_lived = await code_for(client, cid, expires_at=soon)
    await asyncio.sleep(1.2)
    expired = assert_problem(await join(client, cid, "u5", invite_code=short_lived), 403)
    assert expired["type"] == PROBLEMS + "invite-expired"
    assert "expired" in expired["detail"]

    # An open community refuses a bad code too, rather than dropping the referral silently.
    bad_on_open = assert_problem(await join(client, elsewhere["id"], "u6", invite_code="x"), 403)
    assert bad_on_open["type"] == PROBLEMS + "invite-invalid"


async def test_a_failed_join_gives_the_use_back(client: httpx.AsyncClient) -> None:
    community = await create_community(client, join_policy="invite_only")
    cid = community["id"]
    code = await code_for(client, cid, max_uses=2)
    assert (await join(client, cid, "w1", invite_code=code)).status_code == 201
    assert_problem(await join(client, cid, "w1", invite_code=code), 409)  # already a member
    assert (await join(client, cid, "w2", invite_code=code)).status_code == 201
    assert_problem(await join(client, cid, "w3", invite_code=code), 403)
    owner = await owner_of(client, cid)
    assert (await member(client, cid, owner["id"]))["referral_count"] == 2


async def test_the_last_use_of_a_code_is_taken_once(client: httpx.AsyncClient) -> None:
    community = await create_community(client, join_policy="invite_only")
    cid = community["id"]
    code = await code_for(client, cid, max_uses=1)

    responses = await asyncio.gather(
        *(join(client, cid, f"racer{i}", invite_code=code) for i in range(10))
    )

    assert Counter(r.status_code for r in responses) == {201: 1, 403: 9}
    refusals = {r.json()["type"] for r in responses if r.status_code == 403}
    assert refusals == {PROBLEMS + "invite-used-up"}
    owner = await owner_of(client, cid)
    assert (await member(client, cid, owner["id"]))["referral_count"] == 1


async def test_who_may_make_invites(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    cid = community["id"]
    await join(client, cid, "plain")
    by_member = assert_problem(await make_invite(client, cid, by="plain"), 403)
    assert by_member["type"] == PROBLEMS + "permission-required"
    by_stranger = assert_problem(await make_invite(client, cid, by="mallory"), 404)
    assert by_stranger["type"] == PROBLEMS + "community-not-found"
    assert_problem(await make_invite(client, "cmty_nope"), 404)
    by_platform = await client.post(
        f"/v1/communities/{cid}/invites",
        json={},
        headers=actor("root", roles=["platform_admin"]),
    )
    assert by_platform.status_code == 201, by_platform.text
    # Made by no member: whoever uses it was brought by nobody in particular.
    joined = await join(client, cid, "fay", invite_code=by_platform.json()["code"])
    assert joined.json()["invited_by"] is None


async def test_bad_invite_input_is_answered_with_problems(client: httpx.AsyncClient) -> None:
    community = await create_community(client)
    cid = community["id"]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for body, field in (
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses": -1}, "max_uses"),
        ({"max_uses": 1_000_001}, "max_uses"),
        ({"max_uses": "many"}, "max_uses"),
        ({"expires_at": past}, "expires_at"),
        ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),  # no offset: ambiguous
        ({"expires_at": 1893456000}, "expires_at"),
        ({"code": "mine"}, "code"),
    ):
        assert_problem(await make_invite(client, cid, **body), 422, field=field)
    too_long = await join(client, cid, "g1", invite_code="x" * 65)
    assert_problem(too_long, 422, field="invite_code")


async def test_an_approved_join_credits_the_inviter_once(client: httpx.AsyncClient) -> None:
    community = await create_community(client, join_policy="approval")
    cid = community["id"]
    owner = await owner_of(client, cid)
    pending = (await join(client, cid, "hal", invite_code=await code_for(client, cid))).json()
    assert (await member(client, cid, owner["id"]))["referral_count"] == 0
    approved = await client.post(
        f"/v1/communities/{cid}/members/{pending['id']}/approve", headers=actor("owner")
    )
    assert approved.status_code == 200, approved.text
    assert (await member(client, cid, owner["id"]))["referral_count"] == 1
    again = await client.post(
        f"/v1/communities/{cid}/members/{pending['id']}/approve", headers=actor("owner")
    )
    assert_problem(again, 409)
    assert (await member(client, cid, owner["id"]))["referral_count"] == 1
