"""The tier policy: engagement from activity.recorded (through the broker), the plan of a dry
run, a real run's moves, purge and events, once per period; capacity; the scheduled run
happening once with two instances on one database and after a restart."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.common.components import MEMBERS
from services.common.events.catalogue import ActivityRecorded
from services.common.events.envelope import CloudEvent, utc_now
from services.members.engagement import repository as engagement
from services.members.tables import messaging
from services.members.tier_policy.rules import Ranked
from services.members.tier_policy.rules import fit_moves as _fit
from services.members.tier_policy.service import run_scheduled
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


async def record(
    broker: str, cid: str, member_id: str, kind: str, times: int, days_ago: float
) -> None:
    """`times` activities of `member_id`, as scoring publishes them on huoli.activities."""
    for _ in range(times):
        event = ActivityRecorded(
            activity_id=f"act-{member_id}-{kind}-{_}-{days_ago}",
            community_id=cid,
            member_id=member_id,
            activity_type=kind,
            occurred_at=utc_now() - timedelta(days=days_ago),
        )
        envelope = CloudEvent(
            source="huoli/scoring",
            type=event.type,
            subject=member_id,
            communityid=cid,
            data=event.model_dump(mode="json"),
        )
        await publish_raw(
            broker, "huoli.activities", envelope.model_dump_json().encode(), key=cid.encode()
        )


async def run(client: httpx.AsyncClient, cid: str, *, dry_run: bool, by: str = "owner") -> Any:
    response = await client.post(
        f"/v1/communities/{cid}/tier-policy/run", json={"dry_run": dry_run}, headers=actor(by)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_run_promotes_the_best_demotes_the_least_and_purges_the_inactive(
    client: httpx.AsyncClient, broker: str
) -> None:
    cid = (await create_community(client))["id"]
    [first] = [tier["id"] for tier in await tiers_of(client, cid)]
    second, third = await add_tier(client, cid, "二群", 2), await add_tier(client, cid, "留级群", 3)
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
    assert_problem(
        await client.patch(
            f"/v1/communities/{cid}/members/{ids['b1']}", json={"locked": True}, headers=actor("b1")
        ),
        403,
    )
    put = await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={"promote_top": 1, "demote_bottom": 1, "scheduled": False},
        headers=actor("owner"),
    )
    assert put.json() == {
        "promote_top": 1,
        "promote_every_days": 7,
        "demote_bottom": 1,
        "demote_every_days": 14,
        "purge_inactive_days": 30,
        "scheduled": False,
    }
    plan: list[tuple[str, str, int, float]] = [
        ("a1", "message", 3, 1),
        ("a2", "reply", 2, 1),
        ("a3", "reaction", 4, 1),  # a4: nothing → demoted out of 一群
        ("b1", "message", 1, 1),  # the least engaged of 二群 but for the locked b4
        ("b2", "message", 2, 1),
        ("b3", "reply", 5, 1),  # the best of 二群 → promoted
        ("c1", "message", 3, 3),  # c1 and c2 tie on score; c2 was active later → promoted
        ("c2", "message", 3, 2),
        ("c4", "message", 1, 40),  # last seen 40 days ago → purged
        ("b2", "message", 1, 20),  # outside the 7- and 14-day windows: scores nothing
    ]
    for user, kind, times, days_ago in plan:
        await record(broker, cid, ids[user], kind, times, days_ago)

    async def engagement_is_in() -> None:
        listed = await client.get(
            f"/v1/communities/{cid}/members", params={"limit": 50}, headers=actor("owner")
        )
        active = {item["id"] for item in listed.json()["items"] if item["last_active_at"]}
        assert active >= {ids[user] for user, *_ in plan}

    await eventually(engagement_is_in)
    expected_moves = {
        (ids["b3"], second, first, "promoted", 10.0),
        (ids["c2"], third, second, "promoted", 3.0),
        (ids["a4"], first, second, "demoted", 0.0),
        (ids["b1"], second, third, "demoted", 1.0),
    }

    def moves_of(result: Any) -> set[tuple[Any, ...]]:
        return {
            (m["member_id"], m["from_tier_id"], m["to_tier_id"], m["reason"], m["score"])
            for m in result["moves"]
        }

    dry = await run(client, cid, dry_run=True)
    assert (moves_of(dry), dry["purged"], dry["dry_run"]) == (expected_moves, [ids["c4"]], True)
    assert sorted(dry["steps"]) == ["demote", "promote", "purge"]
    # A dry run changes nothing: the same plan again.
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

    # A new demotion period: b3, promoted today, is not demoted however many go down.
    await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={"promote_top": 1, "demote_bottom": 100, "demote_every_days": 15, "scheduled": False},
        headers=actor("owner"),
    )
    later = await run(client, cid, dry_run=True)
    demoted_from_first = {m["member_id"] for m in later["moves"] if m["from_tier_id"] == first}
    assert demoted_from_first == {ids["a1"], ids["a2"], ids["a3"]}

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


async def test_who_may_set_and_run_the_policy(client: httpx.AsyncClient) -> None:
    cid = (await create_community(client))["id"]
    assert (await join(client, cid, "mia")).status_code == 201
    policy = f"/v1/communities/{cid}/tier-policy"
    assert (await client.get(policy, headers=actor("mia"))).json()["scheduled"] is False
    assert_problem(await client.put(policy, json={}, headers=actor("mia")), 403)
    assert_problem(await client.post(f"{policy}/run", json={}, headers=actor("mia")), 403)
    assert_problem(await client.post(f"{policy}/run", json={}, headers=actor("nobody")), 404)
    for field, value in (("promote_top", -1), ("promote_every_days", 0), ("demote_bottom", 2**64)):
        assert_problem(
            await client.put(policy, json={field: value}, headers=actor("owner")), 422, field=field
        )
    assert_problem(
        await client.post(f"{policy}/run", json={"dry_run": "maybe"}, headers=actor("owner")),
        422,
        field="dry_run",
    )
    # Defaults, and a dry run by default.
    assert (await run(client, cid, dry_run=True))["moves"] == []


def ranked(member: str, tier: str, score: float) -> Ranked:
    return Ranked(member, f"u-{member}", tier, score)


def test_moves_respect_capacity_swapping_seats_between_full_tiers() -> None:
    tiers = ["t1", "t2", "t3"]
    capacity = {"t1": 3, "t2": 3, "t3": 10}
    seats = {"t1": 3, "t2": 2, "t3": 5}
    promotions = [ranked("p1", "t2", 9), ranked("p2", "t2", 8), ranked("q1", "t3", 7)]
    demotions = [ranked("d1", "t1", 0)]
    moves = _fit(tiers, capacity, seats, promotions, demotions)
    # t1 is full: one promotion swaps with d1's demotion, p2 waits; t2 has one free seat, so
    # q1 moves up into it.
    assert {(m.member_id, m.to_tier_id) for m in moves} == {
        ("p1", "t1"),
        ("d1", "t2"),
        ("q1", "t2"),
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


async def tier_changes_in_outbox(app: Any, cid: str) -> int:
    outbox = messaging.outbox
    async with app.state.runtime.sessions() as session:
        query = select(func.count()).where(
            outbox.c.message_key == cid, outbox.c.payload.contains('"member.tier_changed"')
        )
        return int((await session.execute(query)).scalar_one())


async def test_the_scheduled_run_happens_once_with_two_instances_and_after_a_restart(
    two_instances: tuple[httpx.AsyncClient, list[Any], str], broker: str
) -> None:
    client, apps, database_url = two_instances
    cid = (await create_community(client))["id"]
    [first] = [tier["id"] for tier in await tiers_of(client, cid)]
    second = await add_tier(client, cid, "二群", 2)
    risers = [await seat(client, cid, f"r{n}", second) for n in range(3)]
    async with apps[0].state.runtime.sessions() as session:
        for points, member_id in enumerate(risers, start=1):
            await engagement.add_activity(
                session, community_id=cid, member_id=member_id, occurred_at=utc_now(), points=points
            )
        await session.commit()
    put = await client.put(
        f"/v1/communities/{cid}/tier-policy",
        json={"promote_top": 2, "demote_bottom": 0, "purge_inactive_days": 0},
        headers=actor("owner"),
    )
    assert put.status_code == 200, put.text

    async def promoted() -> None:
        assert await tier_changes_in_outbox(apps[0], cid) == 2

    await eventually(promoted)
    # Both instances, racing, and a third started afterwards (a restart) find nothing to do.
    results = await asyncio.gather(*(run_due_policies(app.state.runtime) for app in apps))
    assert results == [0, 0]
    restarted = service_app(
        MEMBERS, database_url=database_url, broker=broker, run_migrations_on_startup=False
    )
    async with running_service(restarted):
        assert await run_due_policies(restarted.state.runtime) == 0
    assert await tier_changes_in_outbox(apps[1], cid) == 2
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


async def test_old_engagement_days_are_pruned_past_the_longest_window(
    two_instances: tuple[httpx.AsyncClient, list[Any], str],
) -> None:
    client, apps, _database_url = two_instances
    defaults, longer, without = [(await create_community(client))["id"] for _ in range(3)]
    for cid, policy in ((defaults, {}), (longer, {"demote_every_days": 200})):
        put = await client.put(
            f"/v1/communities/{cid}/tier-policy", json=policy, headers=actor("owner")
        )
        assert put.status_code == 200, put.text
    today = utc_now().date()
    days_ago = (10, 89, 91, 150, 201, 203)
    sessions = apps[0].state.runtime.sessions
    async with sessions() as session:
        for cid in (defaults, longer, without):
            for ago in days_ago:
                await engagement._add_to_day(
                    session, community_id=cid, member_id="m1", day=today - timedelta(ago), points=1
                )
        await session.commit()

    async def kept() -> dict[str, list[int]]:
        table = engagement.ACTIVITY_DAY
        async with sessions() as session:
            rows = (await session.execute(select(table.c.community_id, table.c.day))).all()
        by_community: dict[str, list[int]] = {cid: [] for cid in (defaults, longer, without)}
        for cid, day in rows:
            by_community[cid].append((today - day).days)
        return {cid: sorted(ages) for cid, ages in by_community.items()}

    async with sessions() as session:
        deleted = await engagement.prune_activity_days(
            session, today=today, keep_days=90, default_window_days=14
        )
        await session.commit()
    # 90 days for the default windows (with a policy or without); 200 + 2 for the longer one.
    assert await kept() == {
        defaults: [10, 89],
        longer: [10, 89, 91, 150, 201],
        without: [10, 89],
    }
    assert deleted == 4 + 1 + 4
    async with sessions() as session:
        again = await engagement.prune_activity_days(
            session, today=today, keep_days=90, default_window_days=14
        )
    assert again == 0
