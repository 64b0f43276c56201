"""Win-back nudges (issue 23) through the gateway, on the real processes (real broker, SQLite and
PostgreSQL): a campaign at a segment of one community runs once; each targeted member outside
the holdout (the same members whoever recomputes the split) gets `nudge.due` at the bot's
webhook with the message rendered for them; the report counts who was active again after the
nudge, nudged against holdout, leaving out activity before the nudge and credit for what others
did, and says the comparison is meaningless with this few members; a second campaign skips the
members nudged within the frequency cap; a scheduled campaign runs by itself; a draft is
cancelled.

Bad input, each answered 422 naming the field with nothing stored: an unknown placeholder
(`template`), a tier of another community (`tier_id`), a segment that does not exist
(`segment`), two targets or none, a holdout share above 90 % or a huge number
(`holdout_percent`), 100 KB of template, NUL, a time without an offset (`run_at`)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI, Request, Response

from services.scoring.nudges.rules import in_holdout
from tests.e2e.conftest import System
from tests.e2e.test_walking_skeleton import known_to_scoring
from tests.gateway.fakes import serving
from tests.support import assert_problem, eventually

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def community_of(system: System, owner: str, name: str) -> tuple[str, str]:
    """A new community and its owner's member id."""
    created = await system.gateway.post(
        "/v1/communities", json={"name": name}, headers=system.auth(owner)
    )
    assert created.status_code == 201, created.text
    cid: str = created.json()["id"]
    members = await system.gateway.get(f"/v1/communities/{cid}/members", headers=system.auth(owner))
    [owner_member] = members.json()["items"]
    return cid, owner_member["id"]


async def test_a_campaign_nudges_all_but_its_holdout_and_reports_who_came_back(
    system: System,
) -> None:
    owner = unique("nudge-owner")
    as_owner = system.auth(owner)
    cid, owner_mid = await community_of(system, owner, "夜跑团 🌙")
    users = [unique(f"runner{n}") for n in range(10)]
    names = {user: f"跑友{n}号" for n, user in enumerate(users)}
    member_ids: dict[str, str] = {}
    for n, user in enumerate(users):
        joined = await system.gateway.post(
            f"/v1/communities/{cid}/members",
            json={
                "user_id": user,
                "display_name": names[user],
                "tags": ["老朋友"] if n < 6 else [],
            },
            headers=system.auth(user),
        )
        assert joined.status_code == 201, joined.text
        member_ids[user] = joined.json()["id"]
    user_of = {mid: user for user, mid in member_ids.items()}
    await known_to_scoring(system, cid, [owner_mid, *member_ids.values()], owner=owner)
    other_owner = unique("elsewhere")
    elsewhere, elsewhere_mid = await community_of(system, other_owner, "别的群")
    await known_to_scoring(system, elsewhere, [elsewhere_mid], owner=other_owner)
    [their_tier] = (
        await system.gateway.get(
            f"/v1/communities/{elsewhere}/tiers", headers=system.auth(other_owner)
        )
    ).json()["items"]
    [our_tier] = (
        await system.gateway.get(f"/v1/communities/{cid}/tiers", headers=as_owner)
    ).json()["items"]
    campaigns = f"/v1/communities/{cid}/nudge-campaigns"
    template = "{name}\uff0c{community} 想你了 已经 {days_inactive} 天没见"
    # Everyone here joined a moment ago, so they are all `newcomer` (the first 14 days beat the
    # score-based segments): the campaign targets that segment to reach them all.
    base = {"name": "回访沉默跑友", "segment": "newcomer", "template": template}

    # Bad input: 422 naming the field, nothing stored.
    for bad, field in (
        ({**base, "template": "{name} 你有 {points} 积分 {tier}"}, "template"),
        ({**base, "segment": None, "tier_id": their_tier["id"]}, "tier_id"),
        ({**base, "segment": "vip"}, "segment"),
        ({**base, "tag": "老朋友"}, "tag"),
        ({**base, "segment": None}, "segment"),
        ({**base, "holdout_percent": 91}, "holdout_percent"),
        ({**base, "holdout_percent": 10**30}, "holdout_percent"),
        ({**base, "frequency_cap_days": -1}, "frequency_cap_days"),
        ({**base, "template": "x" * 100_000}, "template"),
        ({**base, "template": "hi\u0000"}, "template"),
        ({**base, "run_at": "2027-01-01T08:00:00"}, "run_at"),
        ({**base, "extra": 1}, "extra"),
    ):
        refused = await system.gateway.post(campaigns, json=bad, headers=as_owner)
        problem = assert_problem(refused, 422, field=field)
        if field == "template" and "points" in str(bad["template"]):
            assert problem["type"].endswith("unknown-placeholder")
            assert problem["placeholders"] == ["points", "tier"]
        if field == "tier_id":
            assert problem["type"].endswith("unknown-tier")
    assert (await system.gateway.get(campaigns, headers=as_owner)).json()["items"] == []
    by_member = await system.gateway.post(campaigns, json=base, headers=system.auth(users[0]))
    assert by_member.status_code == 403, by_member.text
    # A tier of this community is a target like a segment.
    tiered = await system.gateway.post(
        campaigns, json={**base, "segment": None, "tier_id": our_tier["id"]}, headers=as_owner
    )
    assert tiered.status_code == 201, tiered.text
    assert (
        await system.gateway.delete(f"{campaigns}/{tiered.json()['id']}", headers=as_owner)
    ).status_code == 204
    again = await system.gateway.delete(f"{campaigns}/{tiered.json()['id']}", headers=as_owner)
    assert assert_problem(again, 409, field="status")["type"].endswith("campaign-not-runnable")

    received: list[dict[str, Any]] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.append(orjson.loads(await request.body()))
        return Response(status_code=204)

    async with serving(receiver) as receiver_url:

        async def subscribe() -> None:
            subscribed = await system.gateway.post(
                "/v1/webhooks",
                json={
                    "url": f"{receiver_url}/hook",
                    "event_types": ["nudge.due"],
                    "community_id": cid,
                },
                headers=as_owner,
            )
            assert subscribed.status_code == 201, subscribed.text

        await eventually(subscribe, timeout=30)

        # Everyone is a newcomer and nobody has been active. The split is known before the run: a
        # campaign whose draw leaves an arm empty is cancelled and another drawn.
        everyone = [owner_mid, *member_ids.values()]
        while True:
            created = await system.gateway.post(
                campaigns, json={**base, "holdout_percent": 50}, headers=as_owner
            )
            assert created.status_code == 201, created.text
            campaign = created.json()
            assert (campaign["status"], campaign["holdout_percent"]) == ("draft", 50)
            holdout = {m for m in everyone if in_holdout(campaign["id"], m, 50)}
            if 0 < len(holdout) < len(everyone):
                break
            await system.gateway.delete(f"{campaigns}/{campaign['id']}", headers=as_owner)
        nudged = set(everyone) - holdout
        ran = await system.gateway.post(f"{campaigns}/{campaign['id']}/run", headers=as_owner)
        assert ran.status_code == 200, ran.text
        summary = ran.json()
        assert (summary["status"], summary["targeted"], summary["capped"]) == ("ran", 11, 0)
        assert (summary["nudged"], summary["held_out"]) == (len(nudged), len(holdout))
        twice = await system.gateway.post(f"{campaigns}/{campaign['id']}/run", headers=as_owner)
        assert twice.status_code == 409, twice.text
        arms = (
            await system.gateway.get(f"{campaigns}/{campaign['id']}/recipients", headers=as_owner)
        ).json()["items"]
        assert {r["member_id"] for r in arms if r["arm"] == "holdout"} == holdout
        assert {r["member_id"] for r in arms if r["arm"] == "nudged"} == nudged

        async def nudges_delivered() -> None:
            due = [e["data"] for e in received if e["type"] == "nudge.due"]
            assert {d["member_id"] for d in due} == nudged, due
            assert len(due) == len(nudged)

        await eventually(nudges_delivered, timeout=60, interval=0.3)
        for data in (e["data"] for e in received):
            assert data["campaign_id"] == campaign["id"]
            if data["member_id"] in user_of:
                user = user_of[data["member_id"]]
                assert data["user_id"] == user
                assert data["text"] == f"{names[user]}\uff0c夜跑团 🌙 想你了 已经 0 天没见"

    # Who came back: an activity after the nudge counts; one before it, or a reaction
    # received (what someone else did), does not.
    ran_at = datetime.fromisoformat(summary["ran_at"])
    nudged_members = sorted(nudged - {owner_mid})
    holdout_members = sorted(holdout - {owner_mid})
    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []

    def act(member_id: str, at: datetime, **more: Any) -> None:
        items.append(
            {
                "id": unique("act"),
                "community_id": cid,
                "member_id": member_id,
                "type": "message",
                "occurred_at": at.isoformat(),
                **more,
            }
        )

    came_back = {nudged_members[0]} if nudged_members else set()
    if holdout_members:
        came_back.add(holdout_members[0])
    for member_id in came_back:
        act(member_id, now)
    earlier = nudged_members[1:2]
    for member_id in earlier:
        act(member_id, ran_at - timedelta(hours=1))
    if nudged_members[2:3] and came_back:
        # The reaction counts for its author, not for the member it was given to.
        act(sorted(came_back)[0], now, type="reaction", target_member_id=nudged_members[2])
    posted = await system.gateway.post("/v1/activities", json={"items": items}, headers=as_owner)
    assert posted.status_code == 202, posted.text
    assert posted.json()["accepted"] == len(items), posted.text

    async def reported() -> dict[str, Any]:
        answer = await system.gateway.get(f"{campaigns}/{campaign['id']}/report", headers=as_owner)
        assert answer.status_code == 200, answer.text
        report: dict[str, Any] = answer.json()
        assert report["nudged"]["active_again"] == len(came_back & nudged), report
        assert report["holdout"]["active_again"] == len(came_back & holdout), report
        return report

    report = await eventually(reported, timeout=30)
    assert (report["nudged"]["members"], report["holdout"]["members"]) == (
        len(nudged),
        len(holdout),
    )
    assert report["nudged"]["share"] == round(len(came_back & nudged) / len(nudged), 4)
    assert report["meaningful"] is False
    assert "too few members" in report["note"] and "window" in report["note"]
    assert (report["window_days"], report["window_complete"], report["capped"]) == (7, False, 0)

    # The frequency cap: members nudged within 7 days get nothing from the next campaign.
    second = await system.gateway.post(
        campaigns,
        json={
            "name": "老朋友",
            "tag": "老朋友",
            "template": "{name} 回来跑步吧",
            "holdout_percent": 0,
        },
        headers=as_owner,
    )
    assert second.status_code == 201, second.text
    tagged = {member_ids[user] for user in users[:6]}
    ran = await system.gateway.post(f"{campaigns}/{second.json()['id']}/run", headers=as_owner)
    assert ran.status_code == 200, ran.text
    assert ran.json()["targeted"] == len(tagged), ran.text
    assert ran.json()["capped"] == len(tagged & nudged)
    assert ran.json()["nudged"] == len(tagged - nudged)

    # A scheduled campaign runs by itself once its time comes.
    run_at = datetime.now(UTC) + timedelta(seconds=1)
    scheduled = await system.gateway.post(
        campaigns,
        json={**base, "name": "定时", "run_at": run_at.isoformat(), "holdout_percent": 0},
        headers=as_owner,
    )
    assert scheduled.status_code == 201, scheduled.text
    assert scheduled.json()["status"] == "scheduled"

    async def ran_by_itself() -> None:
        answer = await system.gateway.get(f"{campaigns}/{scheduled.json()['id']}", headers=as_owner)
        assert answer.json()["status"] == "ran", answer.text
        assert datetime.fromisoformat(answer.json()["ran_at"]) >= run_at

    await eventually(ran_by_itself, timeout=30, interval=0.5)
    listed = (await system.gateway.get(campaigns, headers=as_owner)).json()["items"]
    assert [c["status"] for c in listed if c["id"] != tiered.json()["id"]][-3:] == [
        "ran",
        "ran",
        "ran",
    ]
