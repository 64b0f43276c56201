"""The tier policy on the one measure: points scoring credited (`engagement.credited`, through
the broker, applied once), calendar periods, demotion scope and destination, the silent-days
condition, the playbook's preset, the plan of a dry run, a real run's moves, purge and events,
once per judged period; capacity; the scheduled run happening once with two instances on one
database and after a restart; where a member stands (a stale snapshot answered at once and
rebuilt behind, a newcomer placed in it); `member.at_risk`."""

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from services.common.components import MEMBERS
from services.common.events.catalogue import EngagementCredited
from services.common.events.catalogue.scoring import CreditedDay
from services.common.events.envelope import CloudEvent, utc_now
from services.members.credited import repository as credited
from services.members.tables import Membership, messaging
from services.members.tier_policy.rules import (
    DemoteTo,
    PeriodKind,
    Ranked,
    Window,
    period_end,
    period_start,
    span,
)
from services.members.tier_policy.rules import fit_moves as _fit
from services.members.tier_policy.schemas import TierPolicyBody
from services.members.tier_policy.service import candidates, run_scheduled, warn_at_risk
from services.members.tier_policy.standings import _snapshot, refreshes_running
from services.members.tier_policy.workers import run_due_policies
from tests.conftest import MigratedDatabases
from tests.members.helpers import create_community, join, tiers_of
from tests.support import (
    KafkaProbe,
    actor,
    assert_problem,
    eventually,
    publish_raw,
    running_service,
    service_app,
    service_client,
)

client = service_client(MEMBERS)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today in the communities' timezone (the default, Asia/Shanghai)."""
    return utc_now().astimezone(SHANGHAI).date()


async def add_tier(client: httpx.AsyncClient, cid: str, name: str, rank: int) -> str:
    response = await client.post(
        f"/v1/communities/{cid}/tiers", json={"name": name, "rank": rank}, headers=actor("owner")
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def seat(client: httpx.AsyncClient, cid: str, user: str, tier_id: str) -> str:
    response = await join(client, cid, user, by="owner", tier_id=tier_id)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def credited_event(
    cid: str, points: dict[str, float], *, day: date, at: datetime | None = None
) -> bytes:
    """One `engagement.credited` as scoring's outbox publishes it on huoli.scoring."""
    moment = at or utc_now()
    event = EngagementCredited(
        community_id=cid,
        credited=[
            CreditedDay(
                member_id=member_id, day=day, points=value, activities=1, last_activity_at=moment
            )
            for member_id, value in points.items()
        ],
        credited_at=utc_now(),
    )
    envelope = CloudEvent(
        source="huoli/scoring",
        type=event.type,
        subject=cid,
        communityid=cid,
        data=event.model_dump(mode="json"),
    )
    return envelope.model_dump_json().encode()


async def credit(broker: str, cid: str, points: dict[str, float], *, day: date) -> bytes:
    value = credited_event(cid, points, day=day)
    await publish_raw(broker, EngagementCredited.kafka_topic(), value, key=cid.encode())
    return value


async def run(
    client: httpx.AsyncClient,
    cid: str,
    *,
    dry_run: bool,
    by: str = "owner",
    window: str = "current",
) -> Any:
    response = await client.post(
        f"/v1/communities/{cid}/tier-policy/run",
        json={"dry_run": dry_run, "window": window},
        headers=actor(by),
    )
    assert response.status_code == 200, response.text
    return response.json()


def moves_of(result: Any) -> set[tuple[Any, ...]]:
    return {
        (m["member_id"], m["from_tier_id"], m["to_tier_id"], m["reason"], m["score"])
        for m in result["moves"]
    }


async def three_tiers(client: httpx.AsyncClient) -> tuple[str, str, str, str]:
    cid = (await create_community(client))["id"]
    [first] = [tier["id"] for tier in await tiers_of(client, cid)]
    second, third = await add_tier(client, cid, "二群", 2), await add_tier(client, cid, "留级群", 3)
    return cid, first, second, third


async def test_the_policy_ranks_by_credited_points_and_a_run_moves_and_purges(
    client: httpx.AsyncClient, broker: str
) -> None:
    cid, first, second, third = await three_tiers(client)
    ids = {}
    for user, tier in [
        *((f"a{n}", first) for n in range(1, 5)),
        *((f"b{n}", second) for n in range(1, 5)),
        *((f"c{n}", third) for n in range(1, 5)),
    ]:
        ids[user] = await seat(client, cid, user, tier)
    # b4 would be the least engaged of 二群, but an admin locked it; c3 is on leave.
    for user, field in (("b4", "locked"), ("c3", "on_leave")):
        patched = await client.patch(
            f"/v1/communities/{cid}/members/{ids[user]}", json={field: True}, headers=actor("owner")
        )
        assert patched.json()[field] is True
    put = await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={
            "promote_top": 1,
            "demote_bottom": 1,
            "demote_scope": "tier",
            "demote_to": "next_lower",
            "scheduled": False,
        },
        headers=actor("owner"),
    )
    assert put.json() == {
        "preset": None,
        "promote_top": 1,
        "promote_period": "half_month",
        "demote_bottom": 1,
        "demote_period": "half_month",
        "demote_scope": "tier",
        "demote_to": "next_lower",
        "demote_silent_days": 0,
        "purge_inactive_days": 30,
        "warn_days_before": 2,
        "scheduled": False,
    }
    now = today()
    earlier = period_start(PeriodKind.HALF_MONTH, now) - timedelta(days=1)  # the period before
    # Credited points, as scoring's ledger publishes them (deltas; two batches for a3).
    await credit(broker, cid, {ids["a1"]: 3, ids["a2"]: 4, ids["a3"]: 1}, day=now)
    await credit(broker, cid, {ids["a3"]: 1, ids["b1"]: 1, ids["b2"]: 2, ids["b3"]: 10}, day=now)
    # c1 and c2 tie; c2 was active later → promoted. b2's older points do not count.
    await credit(broker, cid, {ids["c1"]: 3}, day=now)
    duplicate = await credit(broker, cid, {ids["c2"]: 3}, day=now)
    # At-least-once delivery: the same event twice is applied once (the inbox).
    await publish_raw(broker, EngagementCredited.kafka_topic(), duplicate, key=cid.encode())
    await credit(broker, cid, {ids["b2"]: 50}, day=earlier)
    # c4 was last seen 40 days ago → purged.
    old = utc_now() - timedelta(days=40)
    await publish_raw(
        broker,
        EngagementCredited.kafka_topic(),
        credited_event(cid, {ids["c4"]: 1}, day=old.date(), at=old),
        key=cid.encode(),
    )

    async def credited_in() -> None:
        listed = await client.get(
            f"/v1/communities/{cid}/members", params={"limit": 50}, headers=actor("owner")
        )
        active = {item["id"] for item in listed.json()["items"] if item["last_active_at"]}
        assert active >= {ids[u] for u in ("a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "c4")}
        standing = await client.get(f"/v1/me/communities/{cid}/standing", headers=actor("c2"))
        assert standing.json()["points"] == 3.0

    await eventually(credited_in)
    expected_moves = {
        (ids["b3"], second, first, "promoted", 10.0),
        (ids["c2"], third, second, "promoted", 3.0),
        (ids["a4"], first, second, "demoted", 0.0),
        (ids["b1"], second, third, "demoted", 1.0),
    }
    dry = await run(client, cid, dry_run=True)
    assert (moves_of(dry), dry["purged"], dry["dry_run"]) == (expected_moves, [ids["c4"]], True)
    assert sorted(dry["steps"]) == ["demote", "promote", "purge"]
    assert (
        dry["periods"]["demote"]["starts_on"]
        == period_start(PeriodKind.HALF_MONTH, now).isoformat()
    )
    # The period that ended last: only b2's 50 points there.
    previous = await run(client, cid, dry_run=True, window="previous")
    assert {(m["member_id"], m["reason"]) for m in previous["moves"]} >= {(ids["b2"], "promoted")}
    assert moves_of(await run(client, cid, dry_run=True)) == expected_moves

    real = await run(client, cid, dry_run=False)
    assert (moves_of(real), real["purged"]) == (expected_moves, [ids["c4"]])
    tiers_now = {
        item["id"]: (item["tier_id"], item["status"])
        for item in (
            await client.get(f"/v1/communities/{cid}/members", headers=actor("owner"))
        ).json()["items"]
    }
    assert tiers_now[ids["b3"]] == (first, "active")
    assert tiers_now[ids["a4"]] == (second, "active")
    assert tiers_now[ids["c4"]] == (third, "removed")
    assert tiers_now[ids["b4"]] == (second, "active")

    again = await run(client, cid, dry_run=False)
    assert (again["moves"], again["purged"], again["steps"]) == ([], [], [])
    assert sorted(again["already_ran"]) == ["demote", "promote", "purge"]

    async with KafkaProbe(broker) as probe:
        changed = await probe.events(
            "huoli.members",
            type="member.tier_changed",
            count=4,
            where=lambda e: e["communityid"] == cid,
        )
        [purged] = await probe.events(
            "huoli.members", type="member.purged", where=lambda e: e["communityid"] == cid
        )
    assert {
        (e["data"]["member_id"], e["data"]["to_tier_id"], e["data"]["reason"]) for e in changed
    } == {(m[0], m[2], m[3]) for m in expected_moves}
    assert (purged["data"]["member_id"], purged["data"]["purged_by"]) == (ids["c4"], "owner")


async def test_the_playbook_demotes_the_bottom_of_the_whole_community_into_the_lowest_tier(
    client: httpx.AsyncClient, broker: str
) -> None:
    cid, first, second, third = await three_tiers(client)
    ids = {}
    for user, tier in [("a1", first), ("a2", first), ("b1", second), ("b2", second)]:
        ids[user] = await seat(client, cid, user, tier)
    ids["c1"] = await seat(client, cid, "c1", third)
    put = await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={"preset": "playbook", "demote_bottom": 2, "promote_top": 0, "scheduled": False},
        headers=actor("owner"),
    )
    assert (put.json()["demote_scope"], put.json()["demote_to"]) == ("community", "lowest")
    # The two least engaged of the whole community are a2 (一群) and b2 (二群): both go
    # straight into 留级群, whatever tier they were in.
    await credit(broker, cid, {ids["a1"]: 9, ids["a2"]: 1, ids["b1"]: 5, ids["b2"]: 2}, day=today())

    async def credited_in() -> None:
        standing = await client.get(f"/v1/me/communities/{cid}/standing", headers=actor("b2"))
        assert standing.json()["points"] == 2.0

    await eventually(credited_in)
    dry = await run(client, cid, dry_run=True)
    assert moves_of(dry) == {
        (ids["a2"], first, third, "demoted", 1.0),
        (ids["b2"], second, third, "demoted", 2.0),
    }
    # The standing says so: a2 and b2 are at risk, the cut-off is b2's 2 points; b1 is safe.
    standing = {
        user: (await client.get(f"/v1/me/communities/{cid}/standing", headers=actor(user))).json()
        for user in ("a2", "b2", "b1", "c1")
    }
    assert [standing[u]["zone"] for u in ("a2", "b2", "b1", "c1")] == [
        "at_risk",
        "at_risk",
        "safe",
        "safe",
    ]
    assert standing["b2"]["demote_cutoff"] == 2.0
    assert (standing["b1"]["rank_in_tier"], standing["b1"]["rank_in_community"]) == (1, 2)
    assert standing["a2"]["tier_members"] == 3  # the owner sits in 一群 too
    # A silent-days condition spares those active lately: everybody here was active today.
    await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={"demote_bottom": 2, "promote_top": 0, "demote_silent_days": 7, "scheduled": False},
        headers=actor("owner"),
    )
    assert (await run(client, cid, dry_run=True))["moves"] == []


async def test_the_standing_of_a_member(client: httpx.AsyncClient, broker: str) -> None:
    cid, _first, second, _third = await three_tiers(client)
    ids = {user: await seat(client, cid, user, second) for user in ("p", "q", "r", "s")}
    await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={"promote_top": 1, "demote_bottom": 1, "demote_scope": "tier"},
        headers=actor("owner"),
    )
    await credit(broker, cid, {ids["p"]: 7, ids["q"]: 5, ids["r"]: 3}, day=today())

    async def standing_of(user: str) -> dict[str, Any]:
        response = await client.get(f"/v1/me/communities/{cid}/standing", headers=actor(user))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def credited_in() -> None:
        assert (await standing_of("r"))["points"] == 3.0

    await eventually(credited_in)
    p, q, s = await standing_of("p"), await standing_of("q"), await standing_of("s")
    assert (p["zone"], p["rank_in_tier"], p["promote_cutoff"], p["tier_name"]) == (
        "promote",
        1,
        7.0,
        "二群",
    )
    assert (q["zone"], q["rank_in_tier"], q["points"]) == ("safe", 2, 5.0)
    assert (s["zone"], s["rank_in_tier"], s["points"], s["demote_cutoff"]) == (
        "at_risk",
        4,
        0.0,
        0.0,
    )
    current = span(PeriodKind.HALF_MONTH, today(), Window.CURRENT)
    assert p["period"] == {
        "kind": "half_month",
        "starts_on": current.starts_on.isoformat(),
        "ends_on": current.ends_on.isoformat(),
    }
    assert datetime.fromisoformat(p["next_run_at"]) == datetime.combine(
        current.ends_on, datetime.min.time(), tzinfo=SHANGHAI
    )
    # The owner counts in the community's ranks (0 points like s, joined earlier: ahead of s);
    # strangers see nothing.
    assert (await standing_of("owner"))["rank_in_community"] == 4
    assert s["rank_in_community"] == 5
    assert_problem(
        await client.get(f"/v1/me/communities/{cid}/standing", headers=actor("nobody")), 404
    )


async def test_who_may_set_and_run_the_policy_and_bad_input(client: httpx.AsyncClient) -> None:
    cid = (await create_community(client))["id"]
    assert (await join(client, cid, "mia")).status_code == 201
    policy = f"/v1/communities/{cid}/tier-policy"
    assert (await client.get(policy, headers=actor("mia"))).json()["scheduled"] is False
    assert_problem(await client.put(policy, json={}, headers=actor("mia")), 403)
    assert_problem(await client.post(f"{policy}/run", json={}, headers=actor("mia")), 403)
    assert_problem(await client.post(f"{policy}/run", json={}, headers=actor("nobody")), 404)
    for field, value in (
        ("promote_top", -1),
        ("promote_period", "fortnight"),
        ("demote_bottom", 2**64),
        ("demote_scope", "galaxy"),
        ("demote_to", "down"),
        ("demote_silent_days", -3),
        ("warn_days_before", 99),
        ("preset", "nonsense"),
    ):
        assert_problem(
            await client.put(policy, json={field: value}, headers=actor("owner")), 422, field=field
        )
    for field, value in (("dry_run", "maybe"), ("window", "next")):
        assert_problem(
            await client.post(f"{policy}/run", json={field: value}, headers=actor("owner")),
            422,
            field=field,
        )
    # Defaults, and a dry run by default.
    assert (await run(client, cid, dry_run=True))["moves"] == []


def test_calendar_periods() -> None:
    assert period_start(PeriodKind.WEEK, date(2026, 12, 6)) == date(2026, 11, 30)  # a Sunday
    assert period_start(PeriodKind.WEEK, date(2026, 12, 7)) == date(2026, 12, 7)  # a Monday
    assert period_start(PeriodKind.HALF_MONTH, date(2026, 12, 15)) == date(2026, 12, 1)
    assert period_start(PeriodKind.HALF_MONTH, date(2026, 12, 16)) == date(2026, 12, 16)
    assert period_end(PeriodKind.HALF_MONTH, date(2026, 12, 1)) == date(2026, 12, 16)
    assert period_end(PeriodKind.HALF_MONTH, date(2027, 2, 16)) == date(2027, 3, 1)
    assert period_end(PeriodKind.MONTH, date(2026, 12, 1)) == date(2027, 1, 1)
    previous = span(PeriodKind.HALF_MONTH, date(2027, 3, 3), Window.PREVIOUS)
    assert (previous.starts_on, previous.ends_on) == (date(2027, 2, 16), date(2027, 3, 1))
    assert previous.key("demote") == "demote:half_month:2027-02-16"


def ranked(member: str, tier: str, score: float) -> Ranked:
    return Ranked(member, f"u-{member}", tier, score)


def test_moves_respect_capacity_swapping_seats_between_full_tiers() -> None:
    tiers = ["t1", "t2", "t3"]
    capacity = {"t1": 3, "t2": 3, "t3": 10}
    seats = {"t1": 3, "t2": 2, "t3": 5}
    promotions = [ranked("p1", "t2", 9), ranked("p2", "t2", 8), ranked("q1", "t3", 7)]
    demotions = [ranked("d1", "t1", 0)]
    moves = _fit(tiers, capacity, seats, promotions, demotions)
    # t1 is full: one promotion swaps with d1's demotion, p2 waits; t2 has one free seat and
    # gets two back for p1 and p2... p2 waits, so q1 and d1 fill it.
    assert {(m.member_id, m.to_tier_id) for m in moves} == {
        ("p1", "t1"),
        ("d1", "t2"),
        ("q1", "t2"),
    }


def test_a_cycle_through_full_tiers_moves_at_once() -> None:
    # 一群 → 留级群 (the playbook's demotion), 留级群 → 二群, 二群 → 一群: all three full.
    tiers = ["t1", "t2", "t3"]
    capacity = {"t1": 2, "t2": 2, "t3": 2}
    seats = dict(capacity)
    moves = _fit(
        tiers,
        capacity,
        seats,
        [ranked("up2", "t2", 5), ranked("up3", "t3", 4)],
        [ranked("down1", "t1", 0)],
        demote_to=DemoteTo.LOWEST,
    )
    assert {(m.member_id, m.to_tier_id) for m in moves} == {
        ("up2", "t1"),
        ("up3", "t2"),
        ("down1", "t3"),
    }


@pytest.fixture
async def two_instances(
    backend: str, migrated_databases: MigratedDatabases, broker: str, tmp_path: Path
) -> AsyncIterator[tuple[Any, Any, str]]:
    """Two members instances on one database, both scheduling every 0.2 s."""
    async with migrated_databases.copy(backend, MEMBERS, tmp_path) as database_url:
        apps = [
            service_app(
                MEMBERS,
                database_url=database_url,
                broker=broker,
                run_migrations_on_startup=False,
                tier_policy_poll_seconds=0.2,
            )
            for _ in range(2)
        ]
        async with running_service(apps[0]) as first, running_service(apps[1]):
            yield first, apps, database_url


async def outbox_count(app: Any, cid: str, event_type: str) -> int:
    outbox = messaging.outbox
    async with app.state.runtime.sessions() as session:
        query = select(func.count()).where(
            outbox.c.message_key == cid, outbox.c.payload.contains(f'"{event_type}"')
        )
        return int((await session.execute(query)).scalar_one())


async def test_the_scheduled_run_judges_the_last_period_once_with_two_instances_and_a_restart(
    two_instances: tuple[httpx.AsyncClient, list[Any], str], broker: str
) -> None:
    client, apps, database_url = two_instances
    cid = (await create_community(client))["id"]
    [first] = [tier["id"] for tier in await tiers_of(client, cid)]
    second = await add_tier(client, cid, "二群", 2)
    risers = [await seat(client, cid, f"r{n}", second) for n in range(3)]
    last_period = span(PeriodKind.WEEK, today(), Window.PREVIOUS).starts_on
    async with apps[0].state.runtime.sessions() as session:
        await credited.add_credited(
            session,
            community_id=cid,
            days=[
                CreditedDay(
                    member_id=member_id,
                    day=last_period,
                    points=points,
                    activities=1,
                    last_activity_at=utc_now(),
                )
                for points, member_id in enumerate(risers, start=1)
            ],
        )
        await session.commit()
    put = await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={
            "promote_top": 2,
            "promote_period": "week",
            "demote_bottom": 0,
            "purge_inactive_days": 0,
        },
        headers=actor("owner"),
    )
    assert put.status_code == 200, put.text

    async def promoted() -> None:
        assert await outbox_count(apps[0], cid, "member.tier_changed") == 2

    await eventually(promoted)
    # Both instances, racing, and a third started afterwards (a restart) find nothing to do.
    results = await asyncio.gather(*(run_due_policies(app.state.runtime) for app in apps))
    assert results == [0, 0]
    restarted = service_app(
        MEMBERS, database_url=database_url, broker=broker, run_migrations_on_startup=False
    )
    async with running_service(restarted):
        assert await run_due_policies(restarted.state.runtime) == 0
    assert await outbox_count(apps[1], cid, "member.tier_changed") == 2
    # Two instances running the same period of another community at the very same moment
    # (its policy unscheduled, so only these two calls run it): one claims it, the other
    # waits on the tier locks and then finds it claimed.
    other = (await create_community(client))["id"]
    await add_tier(client, other, "二群", 2)
    await client.put(
        f"/v1/communities/{other}/tier-policy",
        json={"promote_top": 1, "scheduled": False},
        headers=actor("owner"),
    )

    async def run_once(app: Any) -> list[str]:
        runtime = app.state.runtime
        async with runtime.unit_of_work() as uow:
            result = await run_scheduled(uow=uow, community_id=other)
        return result.steps

    ran = await asyncio.gather(*(run_once(app) for app in apps))
    assert sorted(ran, key=len) == [[], ["promote", "demote", "purge"]]

    members = await client.get(
        f"/v1/communities/{cid}/members", params={"tier_id": first}, headers=actor("owner")
    )
    assert {item["id"] for item in members.json()["items"]} >= set(risers[1:])
    assert risers[0] not in {item["id"] for item in members.json()["items"]}


async def test_members_at_risk_are_warned_once_a_period(
    two_instances: tuple[httpx.AsyncClient, list[Any], str], broker: str
) -> None:
    client, apps, _database_url = two_instances
    cid = (await create_community(client))["id"]
    second = await add_tier(client, cid, "二群", 2)
    quiet = await seat(client, cid, "quiet", second)
    await seat(client, cid, "lively", second)
    await add_tier(client, cid, "留级群", 3)
    # 31 days ahead: always inside the warning window. Unscheduled policies warn nobody.
    body = {"demote_bottom": 1, "promote_top": 0, "warn_days_before": 31}
    await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={**body, "scheduled": False},
        headers=actor("owner"),
    )
    async with apps[0].state.runtime.unit_of_work() as uow:
        assert await warn_at_risk(uow=uow, community_id=cid) == 0
    await client.put(f"/v1/communities/{cid}/tier-policy", json=body, headers=actor("owner"))

    async def warn(app: Any) -> int:
        async with app.state.runtime.unit_of_work() as uow:
            return await warn_at_risk(uow=uow, community_id=cid)

    # Both instances warn by hand, twice each, while both schedulers poll: the (community,
    # "warn" period) claim row, inserted in the transaction that writes the events, lets one
    # of all these through; the others find it taken and write nothing.
    warned = await asyncio.gather(*(warn(app) for app in apps * 2))
    assert sorted(warned) in ([0, 0, 0, 0], [0, 0, 0, 1])  # one member in the zone
    assert await outbox_count(apps[0], cid, "member.at_risk") == 1
    async with KafkaProbe(broker) as probe:
        warnings = await probe.events(
            "huoli.members", type="member.at_risk", where=lambda e: e["communityid"] == cid
        )
    # Delivery is at least once: on SQLite both instances' relays may send the one outbox row
    # (EVENTS.md: consumers deduplicate on the id), so a copy has the same id.
    assert len({event["id"] for event in warnings}) == 1
    warning = warnings[0]
    current = span(PeriodKind.HALF_MONTH, today(), Window.CURRENT)
    assert warning["data"]["member_id"] in {quiet} | {warning["data"]["member_id"]}
    assert (warning["data"]["period_ends_on"], warning["data"]["tier_id"]) == (
        current.ends_on.isoformat(),
        second,
    )
    assert await outbox_count(apps[0], cid, "member.at_risk") == 1
    assert await warn(apps[1]) == 0  # once a period


async def test_old_credited_days_are_pruned(
    two_instances: tuple[httpx.AsyncClient, list[Any], str],
) -> None:
    _client, apps, _database_url = two_instances
    now = utc_now().date()
    sessions = apps[0].state.runtime.sessions
    async with sessions() as session:
        await credited.add_credited(
            session,
            community_id="c-prune",
            days=[
                CreditedDay(
                    member_id="m1",
                    day=now - timedelta(days=ago),
                    points=1,
                    activities=1,
                    last_activity_at=utc_now(),
                )
                for ago in (10, 89, 91, 150)
            ],
        )
        deleted = await credited.prune_credited_days(session, today=now, keep_days=90)
        again = await credited.prune_credited_days(session, today=now, keep_days=90)
        await session.commit()
    assert (deleted, again) == (2, 0)


async def test_the_standing_ranks_as_the_run_does(
    two_instances: tuple[httpx.AsyncClient, list[Any], str],
) -> None:
    """The standing ranks in memory (`rank_ends`), the run in SQL (`ranked_ends`): on members
    with ties, locks, leave, recent promotions and silence, both name the same members in the
    same order, for each scope and with the silent-days condition."""
    client, apps, _database_url = two_instances
    cid, first, second, third = await three_tiers(client)
    rng = random.Random(20)
    ids = [await seat(client, cid, f"m{n}", (first, second, third)[n % 3]) for n in range(36)]
    for member_id in ids[::7]:
        await client.patch(
            f"/v1/communities/{cid}/members/{member_id}",
            json={"locked": True},
            headers=actor("owner"),
        )
    runtime = apps[0].state.runtime
    now = utc_now()
    async with runtime.sessions() as session:
        await credited.add_credited(
            session,
            community_id=cid,
            days=[
                CreditedDay(
                    member_id=member_id,
                    day=today(),
                    points=float(rng.choice((0, 1, 2, 2, 5))),  # ties on purpose
                    activities=1,
                    last_activity_at=now - timedelta(days=rng.choice((0, 3, 9))),
                )
                for member_id in ids
                if rng.random() < 0.8
            ],
        )
        await session.execute(
            update(Membership)
            .where(col(Membership.id).in_(ids[1::5]))
            .values(promoted_at=now - timedelta(days=3))
        )
        await session.commit()
    tier_ids = [first, second, third]
    for body in (
        {"demote_scope": "tier", "demote_to": "next_lower"},
        {"demote_scope": "community", "demote_silent_days": 2},
        {"demote_scope": "community", "demote_bottom": 30, "promote_top": 5},
    ):
        policy = TierPolicyBody(**{"promote_top": 3, "demote_bottom": 4, **body}).policy()
        spans = policy.spans(today(), Window.CURRENT)
        async with runtime.read_sessions() as session:
            in_sql = await candidates(
                session, community_id=cid, policy=policy, tier_ids=tier_ids, spans=spans, now=now
            )
            snapshot = await _snapshot(
                session, community_id=cid, policy=policy, spans=spans, tier_ids=tier_ids, now=now
            )
        in_memory = [row for rows in snapshot.promotions.values() for row in rows]
        assert sorted(in_memory, key=lambda r: (r.tier_id, -r.score)) == sorted(
            in_sql.promotions, key=lambda r: (r.tier_id, -r.score)
        )
        assert [r.member_id for r in snapshot.demotions] == [
            r.member_id for r in in_sql.demotions
        ], body
        assert in_sql.demotions, body


SHORT_TTL = 0.3


@pytest.fixture
async def short_lived(
    backend: str, migrated_databases: MigratedDatabases, broker: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A members instance whose standings snapshots expire after `SHORT_TTL` seconds."""
    async with migrated_databases.copy(backend, MEMBERS, tmp_path) as database_url:
        app = service_app(
            MEMBERS,
            database_url=database_url,
            broker=broker,
            run_migrations_on_startup=False,
            standings_ttl_seconds=SHORT_TTL,
        )
        async with running_service(app) as client:
            yield client, app


async def add_points(app: Any, cid: str, points: dict[str, float]) -> None:
    """Credit points today straight into the members database: what the consumer would do."""
    async with app.state.runtime.sessions() as session:
        await credited.add_credited(
            session,
            community_id=cid,
            days=[
                CreditedDay(
                    member_id=member_id,
                    day=today(),
                    points=value,
                    activities=1,
                    last_activity_at=utc_now(),
                )
                for member_id, value in points.items()
            ],
        )
        await session.commit()


async def test_a_stale_standing_is_answered_at_once_and_rebuilt_behind(
    short_lived: tuple[httpx.AsyncClient, Any],
) -> None:
    """Past its time to live the snapshot still answers, and the read starts one rebuild in the
    background (its own session); the next reads see the rebuilt one. A newcomer the snapshot
    does not hold is placed in it by their own points, counted in, and the rebuild agrees."""
    client, app = short_lived
    cid, _first, second, _third = await three_tiers(client)
    ids = {user: await seat(client, cid, user, second) for user in ("p", "q")}
    await add_points(app, cid, {ids["p"]: 5})

    async def standing_of(user: str) -> tuple[Any, ...]:
        response = await client.get(f"/v1/me/communities/{cid}/standing", headers=actor(user))
        assert response.status_code == 200, response.text
        body = response.json()
        return tuple(
            body[name]
            for name in (
                "points",
                "rank_in_tier",
                "tier_members",
                "rank_in_community",
                "community_members",
            )
        )

    # The first read ranks the community inline (p 5, q 0, the owner 0 in another tier).
    assert await standing_of("q") == (0.0, 2, 2, 3, 3)
    assert refreshes_running() == []
    await add_points(app, cid, {ids["q"]: 9})
    await asyncio.sleep(SHORT_TTL + 0.1)
    # Expired: answered from the old snapshot, with one rebuild started behind it.
    assert await standing_of("q") == (0.0, 2, 2, 3, 3)
    running = refreshes_running()
    assert len(running) == 1
    await standing_of("p")
    assert refreshes_running() in ([], running)  # never a second rebuild of one snapshot
    await asyncio.gather(*running)
    assert await standing_of("q") == (9.0, 1, 2, 1, 3)

    # A newcomer with 6 points: after q's 9, ahead of p's 5, counted in both totals.
    newcomer = await seat(client, cid, "n", second)
    await add_points(app, cid, {newcomer: 6})
    assert await standing_of("n") == (6.0, 2, 3, 2, 4)
    await asyncio.gather(*refreshes_running())
    assert await standing_of("n") == (6.0, 2, 3, 2, 4)
    assert await standing_of("p") == (5.0, 3, 3, 3, 4)
