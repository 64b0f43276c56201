"""Lockdown (on SQLite and PostgreSQL, with the real broker): joins closed or held for approval,
new members muted until it ends, the owner still adding people, lifting, the events.

Bad input, as answered: `until` in the past, more than 30 days ahead, or without an offset, an
unknown `joins` → 422 and no lockdown; a plain member starting or lifting one → 403
`permission-required`; lifting when none holds → 404 `no-lockdown`; a join while closed → 403
`community-locked-down`."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from services.common.components import MEMBERS
from tests.members.test_roles import Community, problem_type
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def test_lockdown_answers_joins_and_is_announced(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await Community.create(client)
    await community.active_member("tom")
    path = f"/v1/communities/{community.id}/lockdown"
    assert (await client.get(path, headers=actor("tom"))).json() == {"lockdown": None}
    for bad in (
        {"until": later(hours=-1)},
        {"until": later(days=31)},
        {"until": "2030-01-01T00:00:00"},
        {"until": later(hours=1), "joins": "open"},
        {"until": later(hours=1), "reason": "a\u0000"},
    ):
        assert_problem(await client.post(path, json=bad, headers=actor("owner")), 422)
    assert (await client.get(path, headers=actor("tom"))).json() == {"lockdown": None}
    refused = await client.post(path, json={"until": later(hours=1)}, headers=actor("tom"))
    assert problem_type(refused, 403) == "permission-required"

    until = later(hours=2)
    closed = await client.post(
        path, json={"until": until, "joins": "closed", "reason": "刷屏攻击"}, headers=actor("owner")
    )
    assert closed.status_code == 201, closed.text
    joined = await client.post(
        community.members, json={"user_id": "raider", "display_name": "r"}, headers=actor("raider")
    )
    assert problem_type(joined, 403) == "community-locked-down"
    # The owner may still add someone.
    added = await client.post(
        community.members, json={"user_id": "friend", "display_name": "f"}, headers=actor("owner")
    )
    assert added.json()["status"] == "active"

    held = await client.post(
        path,
        json={"until": until, "joins": "approval_only", "mute_new_members": True},
        headers=actor("owner"),
    )
    assert held.status_code == 201, held.text
    pending = await community.join("newbie")
    assert pending["status"] == "pending"
    muted = await client.post(
        community.members, json={"user_id": "pal", "display_name": "p"}, headers=actor("owner")
    )
    assert (muted.json()["status"], muted.json()["muted_until"]) == ("muted", held.json()["until"])

    lifted = await client.delete(path, headers=actor("owner"))
    assert lifted.status_code == 204, lifted.text
    assert problem_type(await client.delete(path, headers=actor("owner")), 404) == "no-lockdown"
    assert (await community.join("late"))["status"] == "active"

    async with KafkaProbe(broker) as probe:
        started = await probe.events(
            "huoli.members",
            type="community.lockdown_started",
            count=2,
            where=lambda e: e["subject"] == community.id,
        )
        [ended] = await probe.events(
            "huoli.members",
            type="community.lockdown_lifted",
            where=lambda e: e["subject"] == community.id,
        )
    assert [e["data"]["joins"] for e in started] == ["closed", "approval_only"]
    assert started[0]["data"]["reason"] == "刷屏攻击"
    assert ended["data"]["lifted_by"] == "owner"


async def test_a_lockdown_ends_by_itself(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    path = f"/v1/communities/{community.id}/lockdown"
    short = await client.post(
        path, json={"until": later(seconds=1), "joins": "closed"}, headers=actor("owner")
    )
    assert short.status_code == 201, short.text
    await asyncio.sleep(1.2)
    assert (await community.join("after"))["status"] == "active"
    assert (await client.get(path, headers=actor("owner"))).json() == {"lockdown": None}
