"""Sanctions: the default and a configured ladder, mutes that end by themselves, who may
sanction whom, the history, the events, and a removed member coming back only by approval."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from services.common.components import MEMBERS
from services.common.events.envelope import utc_now
from services.members.memberships.schemas import MemberPublic
from tests.members.test_roles import Community, problem_type
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)


async def sanction(
    community: Community,
    by: str,
    member_id: str,
    kind: str,
    reason: str = "广告 spam 🚫",
    **more: object,
) -> httpx.Response:
    response: httpx.Response = await community.act(
        by, "POST", member_id, "sanctions", kind=kind, reason=reason, **more
    )
    return response


async def test_the_default_ladder_warns_three_times_mutes_then_removes(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await Community.create(client)
    target = await community.active_member("tom")
    await community.active_member("eve", role="enforcer")

    for expected_escalation in (None, None, "mute"):
        response = await sanction(community, "eve", target, "warn")
        assert response.status_code == 201, response.text
        escalation = response.json()["escalation"]
        assert (escalation and escalation["kind"]) == expected_escalation
    outcome = response.json()
    assert outcome["member"]["status"] == "muted"
    muted_until = outcome["escalation"]["muted_until"]
    assert outcome["member"]["muted_until"] == muted_until
    assert outcome["escalation"]["duration_hours"] == 24
    assert outcome["escalation"]["by_ladder"] is True
    # A muted member still belongs (reads the member list) and may still be warned.
    assert (await client.get(community.members, headers=actor("tom"))).status_code == 200

    for expected_escalation in (None, None, "remove"):
        response = await sanction(community, "eve", target, "warn", reason="再犯 again")
        assert response.status_code == 201, response.text
        assert (response.json()["escalation"] or {}).get("kind") == expected_escalation
    assert response.json()["member"]["status"] == "removed"
    assert_problem(await client.get(community.members, headers=actor("tom")), 404)
    assert problem_type(await sanction(community, "eve", target, "warn"), 409) == (
        "wrong-member-status"
    )

    history = await client.get(f"{community.members}/{target}/sanctions", headers=actor("eve"))
    kinds = [(item["kind"], item["by_ladder"]) for item in history.json()["items"]]
    assert kinds == [("warn", False)] * 3 + [("mute", True)] + [("warn", False)] * 3 + [
        ("remove", True)
    ]
    assert {item["issued_by"] for item in history.json()["items"]} == {"eve"}
    assert history.json()["items"][0]["reason"] == "广告 spam 🚫"

    # Removed: back only through approval, even in an open community.
    back = await community.join("tom")
    assert (back["id"], back["status"]) == (target, "pending")

    async with KafkaProbe(broker) as probe:
        sanctioned = await probe.events(
            "huoli.members",
            type="member.sanctioned",
            count=8,
            where=lambda e: e["subject"] == target,
        )
        [removed] = await probe.events(
            "huoli.members", type="member.removed", where=lambda e: e["subject"] == target
        )
    assert [e["data"]["kind"] for e in sanctioned].count("warn") == 6
    assert [e["data"]["warning_count"] for e in sanctioned[:3]] == [1, 2, 3]
    assert sanctioned[3]["data"]["muted_until"] is not None
    assert removed["data"]["removed_by"] == "eve"


async def test_a_configured_ladder_and_explicit_sanctions(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    ladder_path = f"/v1/communities/{community.id}/sanction-ladder"
    default = await client.get(ladder_path, headers=actor("owner"))
    assert default.json() == {
        "warnings_before_mute": 3,
        "mute_hours": 24,
        "mutes_before_removal": 1,
    }
    target = await community.active_member("tom")
    other = await community.active_member("sam")
    assert (
        problem_type(
            await client.put(ladder_path, json={"warnings_before_mute": 1}, headers=actor("tom")),
            403,
        )
        == "permission-required"
    )
    assert_problem(
        await client.put(ladder_path, json={"mute_hours": 2**64}, headers=actor("owner")),
        422,
        field="mute_hours",
    )
    strict = {"warnings_before_mute": 1, "mute_hours": 2, "mutes_before_removal": 0}
    put = await client.put(ladder_path, json=strict, headers=actor("owner"))
    assert put.json() == strict
    # One warning removes straight away now.
    removed = (await sanction(community, "owner", target, "warn")).json()
    assert (removed["escalation"]["kind"], removed["member"]["status"]) == ("remove", "removed")

    # An explicit mute takes its own duration; muting again never shortens it.
    muted = (await sanction(community, "owner", other, "mute", duration_hours=48)).json()
    assert muted["sanction"]["duration_hours"] == 48
    again = (await sanction(community, "owner", other, "mute", duration_hours=1)).json()
    assert again["member"]["muted_until"] == muted["member"]["muted_until"]
    listed = await client.get(community.members, params={"status": "muted"}, headers=actor("owner"))
    assert [item["id"] for item in listed.json()["items"]] == [other]
    explicit = await sanction(community, "owner", other, "remove", reason="违规")
    assert explicit.json()["member"]["status"] == "removed"
    assert_problem(await sanction(community, "owner", other, "ban"), 422, field="kind")
    assert_problem(
        await sanction(community, "owner", other, "mute", duration_hours=10**6),
        422,
        field="duration_hours",
    )
    assert_problem(
        await sanction(community, "owner", other, "warn", reason=""), 422, field="reason"
    )


async def test_who_may_sanction_whom(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    owner = (await community.member_of("owner"))["id"]
    target = await community.active_member("tom")
    admin = await community.active_member("ada", role="admin")
    await community.active_member("eve", role="enforcer")
    await community.active_member("des", role="designer")
    for by in ("eve", "ada", "owner"):
        assert problem_type(await sanction(community, by, owner, "warn"), 403) == (
            "owner-cannot-be-sanctioned"
        )
    assert problem_type(await sanction(community, "eve", admin, "warn"), 403) == "owner-only"
    assert (await sanction(community, "owner", admin, "warn")).status_code == 201
    assert problem_type(await sanction(community, "des", target, "warn"), 403) == (
        "permission-required"
    )
    assert problem_type(await sanction(community, "stranger", target, "warn"), 404) == (
        "community-not-found"
    )
    assert problem_type(await sanction(community, "eve", "mbr_nope", "warn"), 404) == (
        "member-not-found"
    )
    # The history: the member sees their own, other plain members do not.
    assert (await sanction(community, "eve", target, "warn")).status_code == 201
    history_path = f"{community.members}/{target}/sanctions"
    own = await client.get(history_path, headers=actor("tom"))
    assert len(own.json()["items"]) == 1
    assert problem_type(await client.get(history_path, headers=actor("des")), 403) == (
        "permission-required"
    )
    assert_problem(await client.get(history_path, headers=actor("stranger")), 404)


def member_public(status: str, muted_until: Any) -> MemberPublic:
    return MemberPublic(
        id="mbr_1",
        community_id="cmty_1",
        user_id="u",
        display_name="u",
        status=status,
        role="member",
        tier_id=None,
        tags=[],
        invited_by=None,
        referral_count=0,
        joined_at=utc_now(),
        muted_until=muted_until,
    )


def test_a_mute_whose_time_has_passed_reads_as_active() -> None:
    still = member_public("muted", utc_now() + timedelta(minutes=1))
    over = member_public("muted", utc_now() - timedelta(seconds=1))
    assert (still.status, over.status, over.muted_until) == ("muted", "active", None)


async def test_concurrent_warnings_climb_the_ladder_once_each_step(
    client: httpx.AsyncClient,
) -> None:
    community = await Community.create(client)
    target = await community.active_member("tom")
    answers = await asyncio.gather(
        *(sanction(community, "owner", target, "warn", reason=f"#{n}") for n in range(8))
    )
    created = [answer.json() for answer in answers if answer.status_code == 201]
    # Six warnings land (the sixth removes); those after the removal find no member to warn.
    assert len(created) == 6
    assert all(answer.status_code in {201, 409} for answer in answers)
    escalations = sorted(body["escalation"]["kind"] for body in created if body["escalation"])
    assert escalations == ["mute", "remove"]
    history = await client.get(f"{community.members}/{target}/sanctions", headers=actor("owner"))
    assert [item["kind"] for item in history.json()["items"]].count("warn") == 6
