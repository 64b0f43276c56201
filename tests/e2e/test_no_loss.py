"""Nothing lost, nothing applied twice: a broker restart mid-traffic, and a consumer killed
between its database commit and its offset commit."""

import asyncio
import signal
import time

import httpx
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
    assert posted.json() == {"accepted": 5, "duplicates": 0, "rejected": [], "pending": []}

    scoring = system.stack.processes["scoring"]
    await asyncio.to_thread(scoring.wait, 30)
    assert scoring.returncode == 137, "scoring should have died at the failpoint"
    assert not armed.exists()

    await asyncio.to_thread(system.stack.start, "scoring")
    late = activities(community_id, sentinel, "share", 1, "kill-sentinel")
    posted = await system.gateway.post("/v1/activities", json=late, headers=system.auth("owner"))
    assert posted.json() == {"accepted": 1, "duplicates": 0, "rejected": [], "pending": []}

    async def counted_once() -> None:
        scores = {
            item["member_id"]: item["score"] for item in await leaderboard(system, community_id)
        }
        assert scores == {steady: 10, sentinel: 3}

    await eventually(counted_once, timeout=60, interval=0.5)


async def members_stored(system: System, community_id: str) -> int:
    engine = create_engine(system.database_urls["members"])
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                text("SELECT count(*) FROM membership WHERE community_id = :cid"),
                {"cid": community_id},
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def test_sigterm_under_load_answers_what_it_took_and_loses_nothing(system: System) -> None:
    """Joins stream in through the gateway while members gets SIGTERM: every join it stored
    was answered 201 (none left a client with an error), every 201 is stored, and the relay
    published them all before the process ended."""
    community_id = await create_community(system)
    members = system.stack.processes["members"]
    answered: list[int] = []
    stop_sending = asyncio.Event()

    async def send_joins(lane: int) -> None:
        n = 0
        while not stop_sending.is_set():
            user = f"u-sigterm-{lane}-{n}"
            n += 1
            try:
                response = await system.gateway.post(
                    f"/v1/communities/{community_id}/members",
                    json={"user_id": user, "display_name": user},
                    headers=system.auth(user),
                )
            except httpx.HTTPError:
                continue
            answered.append(response.status_code)
            if response.status_code != 201:
                # The service is gone: the gateway says so at once; keep the pace sane.
                await asyncio.sleep(0.05)

    lanes = [asyncio.create_task(send_joins(lane)) for lane in range(6)]
    await asyncio.sleep(1.5)
    signalled_at = time.monotonic()
    members.signal(signal.SIGTERM)
    exit_code = await asyncio.to_thread(members.wait, 30)
    seconds_to_exit = time.monotonic() - signalled_at
    stop_sending.set()
    await asyncio.gather(*lanes)
    print(f"members exited {exit_code} {seconds_to_exit:.2f} s after SIGTERM under load")

    created = answered.count(201)
    assert created > 0, "the load never reached the service"
    # Nothing answered but a 201, or the gateway's "upstream unavailable" once members was down.
    assert set(answered) <= {201, 502, 503}, answered
    # uvicorn re-raises the SIGTERM once its graceful shutdown is complete.
    assert exit_code in (0, -signal.SIGTERM)
    # Every join stored was answered 201 (the owner's own membership is the +1).
    assert await members_stored(system, community_id) == created + 1

    # The relay published what the last requests wrote before the process ended: scoring
    # counts every join while members is still down.
    async def every_join_published() -> None:
        assert await members_joined_in_scoring(system, community_id) == created + 1

    try:
        await eventually(every_join_published, timeout=60, interval=0.5)
    finally:
        await asyncio.to_thread(system.stack.start, "members")
