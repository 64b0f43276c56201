"""Nothing lost, nothing applied twice: a broker restart mid-traffic, and a consumer killed
between its database commit and its offset commit."""

import asyncio

import pytest
from sqlalchemy import text

from services.common.db import create_engine
from tests.e2e.conftest import System
from tests.e2e.test_walking_skeleton import (
    activities,
    create_community,
    join,
    known_to_scoring,
    leaderboard,
)
from tests.support import eventually

pytestmark = pytest.mark.e2e


async def members_joined_in_scoring(system: System, community_id: str) -> int:
    """How many member.joined events scoring applied for the community (its own tally)."""
    engine = create_engine(system.database_urls["scoring"])
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                text("SELECT members_joined FROM community_tally WHERE community_id = :cid"),
                {"cid": community_id},
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def test_joins_during_a_broker_restart_reach_scoring_exactly_once(system: System) -> None:
    broker = system.stack.broker
    assert broker is not None, "this test restarts the embedded broker"
    community_id = await create_community(system)
    users = [f"u-outage-{n:02d}" for n in range(40)]

    async def join_all() -> None:
        for user in users:
            await join(system, community_id, user, f"成员 {user}")
            await asyncio.sleep(0.05)

    joining = asyncio.create_task(join_all())
    await asyncio.sleep(0.5)
    await asyncio.to_thread(broker.stop)  # joins go on: the outbox holds their events
    await asyncio.sleep(1.5)
    await asyncio.to_thread(broker.start)  # empty: its log was in memory
    await joining

    # The owner's own membership counts too.
    async def every_join_applied() -> None:
        assert await members_joined_in_scoring(system, community_id) == len(users) + 1

    await eventually(every_join_applied, timeout=90, interval=0.5)

    # A later join on the same partition is applied after any redelivered copy of the
    # earlier ones; if a copy had been applied again, the tally would now be off by more.
    await join(system, community_id, "u-outage-late", "Late")

    async def sentinel_applied() -> None:
        assert await members_joined_in_scoring(system, community_id) == len(users) + 2

    await eventually(sentinel_applied, timeout=60, interval=0.5)


async def test_a_consumer_killed_between_its_commits_counts_nothing_twice(system: System) -> None:
    community_id = await create_community(system)
    steady = await join(system, community_id, "u-steady", "Steady")
    sentinel = await join(system, community_id, "u-sentinel", "Sentinel")

    async def both_known() -> None:
        assert await members_joined_in_scoring(system, community_id) == 3  # with the owner

    await eventually(both_known, timeout=30)
    await known_to_scoring(system, community_id, [steady, sentinel])

    armed = system.failpoints / "scoring.ledger.before_offset_commit"
    armed.touch()
    # Replies: five messages at one moment would earn once (the 60 s message cooldown).
    batch = activities(community_id, steady, "reply", 5, "kill")
    posted = await system.gateway.post("/v1/activities", json=batch, headers=system.auth("owner"))
    assert posted.json() == {"accepted": 5, "duplicates": 0, "rejected": []}

    scoring = system.stack.processes["scoring"]
    await asyncio.to_thread(scoring.wait, 30)
    assert scoring.returncode == 137, "scoring should have died at the failpoint"
    assert not armed.exists()

    await asyncio.to_thread(system.stack.start, "scoring")
    late = activities(community_id, sentinel, "share", 1, "kill-sentinel")
    posted = await system.gateway.post("/v1/activities", json=late, headers=system.auth("owner"))
    assert posted.json() == {"accepted": 1, "duplicates": 0, "rejected": []}

    async def counted_once() -> None:
        scores = {
            item["member_id"]: item["score"] for item in await leaderboard(system, community_id)
        }
        assert scores == {steady: 10, sentinel: 3}

    await eventually(counted_once, timeout=60, interval=0.5)
