"""The scoring service in-process, on SQLite and PostgreSQL, with the real broker.

Scores change only when `activity.recorded` comes back through Kafka to the service's own
consumer, so every score asserted here has crossed the broker.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.common.components import SCORING
from services.common.events.catalogue import ActivityRecorded, MemberJoined
from services.common.events.envelope import CloudEvent
from services.scoring.ingestion.service import activity_event_id
from services.scoring.ledger.mapping import activities_of
from services.scoring.ledger.service import post_activities
from services.scoring.tables import membership
from tests.support import (
    KafkaProbe,
    actor,
    assert_problem,
    eventually,
    publish_raw,
    running_service,
    seed_membership,
    service_app,
    service_client,
)

# Who reports activities in the communities `community` makes (an admin there), and who reads.
WRITER = "partner-bot"
READER = "alice"


class Running:
    """The app of the service the current test runs, for seeding its membership projection."""

    app: FastAPI | None = None


async def remember(app: FastAPI) -> None:
    Running.app = app


# The whole service, its consumers included.
client = service_client(SCORING, prepare=remember, run_consumers=True)
# The service without its consumers, for tests that never wait for one: joining the consumer
# group takes the embedded broker seconds, and leaving mid-join as long again.
api = service_client(SCORING, prepare=remember, run_consumers=False)

Community = Callable[..., Awaitable[str]]


@pytest.fixture
def community() -> Community:
    """Makes a fresh community the running service knows, with WRITER as an admin and READER
    and `users` as members (member ids `m-<user>`); call it once the service runs."""

    async def create(*users: str) -> str:
        assert Running.app is not None, "request the client or api fixture"
        cid = new_community()
        roles = {WRITER: "admin", READER: "member", **dict.fromkeys(users, "member")}
        await seed_membership(Running.app, membership, cid, roles)
        return cid

    return create


# The first consumer of a group on a fresh embedded broker gets generation 0, from which aiokafka
# does not send LeaveGroup; the next consumer in that group waits out its session (≈ 15 s).
CONSUMER_TIMEOUT = 60.0


def new_community() -> str:
    # The broker lives for the whole session: fresh ids keep tests out of each other's events.
    return f"cmty_{uuid.uuid4().hex[:20]}"


def activity(
    community_id: str,
    member_id: str,
    kind: str,
    *,
    occurred_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": f"act-{uuid.uuid4().hex}",
        "community_id": community_id,
        "member_id": member_id,
        "type": kind,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        **extra,
    }


async def leaderboard(
    client: httpx.AsyncClient, community_id: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        f"/v1/communities/{community_id}/leaderboard", params=params, headers=actor()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def standings(board: dict[str, Any]) -> list[tuple[int, str, float]]:
    return [(item["rank"], item["member_id"], item["score"]) for item in board["items"]]


def member_joined(community_id: str, member_id: str, display_name: str, event_id: str) -> bytes:
    data = MemberJoined(
        community_id=community_id,
        member_id=member_id,
        user_id=f"user-{member_id}",
        display_name=display_name,
        status="active",
        role="member",
        joined_at=datetime.now(UTC),
    )
    envelope = CloudEvent(
        id=event_id,
        source="huoli/members",
        type=MemberJoined.type,
        subject=member_id,
        communityid=community_id,
        data=data.model_dump(mode="json"),
    )
    return envelope.model_dump_json().encode()


async def test_activities_cross_kafka_into_leaderboards_once(
    client: httpx.AsyncClient, broker: str, community: Community
) -> None:
    cid = await community("bob", "carol", "eve", "grace", "dave", "hank")
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=40)  # outside the current day, ISO week and month
    first = activity(cid, "m-alice", "message", attrs={"text": "大家好 👋 " * 50})
    # Offsets other than UTC are the same instants; they are stored and shown in UTC.
    latest_of_bob = (now - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=8)))
    batch = [
        first,
        activity(cid, "m-alice", "reply"),
        activity(cid, "m-bob", "checkin", occurred_at=now - timedelta(seconds=30)),
        activity(cid, "m-bob", "share", occurred_at=latest_of_bob, target_member_id="m-alice"),
        activity(cid, "m-carol", "reaction"),
        activity(cid, "m-carol", "reaction", content_id="cnt_1"),
        activity(cid, "m-eve", "message"),
        *(activity(cid, "m-grace", "content_view") for _ in range(3)),
        activity(cid, "m-dave", "invite_accepted", occurred_at=long_ago),
        first,  # the same id twice in one batch counts once
    ]
    response = await client.post("/v1/activities", json=batch, headers=actor(WRITER))
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 11, "duplicates": 1, "rejected": [], "pending": []}

    # Default weights: message 1, reply 2, checkin 2, share 3, reaction 0.5, content_view 0.2,
    # invite_accepted 15.
    all_time = [
        (1, "m-dave", 15.0),
        (2, "m-bob", 5.0),
        (3, "m-alice", 3.0),
        (4, "m-carol", 1.0),  # ties break on member id
        (5, "m-eve", 1.0),
        (6, "m-grace", 0.6),  # 3 x 0.2, exactly
    ]

    async def scored() -> None:
        assert standings(await leaderboard(client, cid, period="all")) == all_time

    await eventually(scored, timeout=CONSUMER_TIMEOUT)

    board = await leaderboard(client, cid)
    assert board["period"] == "all"
    # Names come from the membership projection.
    assert [item["display_name"] for item in board["items"]] == [
        "dave",
        "bob",
        "alice",
        "carol",
        "eve",
        "grace",
    ]
    assert standings(await leaderboard(client, cid, limit=2)) == all_time[:2]
    # The caller's own line, also when the top shown stops above them; a tie on score ranks
    # by member id (m-eve ties m-carol and comes after her).
    assert board["own"] == {
        "rank": 3,
        "member_id": "m-alice",
        "display_name": "alice",
        "score": 3.0,
    }
    assert (await leaderboard(client, cid, limit=1))["own"]["rank"] == 3
    for user, rank in (("eve", 5), ("carol", 4), ("grace", 6), ("dave", 1)):
        response = await client.get(
            f"/v1/communities/{cid}/leaderboard", params={"limit": 1}, headers=actor(user)
        )
        assert response.status_code == 200, response.text
        assert response.json()["own"]["rank"] == rank, user
    this_period = [(rank - 1, member, score) for rank, member, score in all_time[1:]]
    for period in ("day", "week", "month"):
        board = await leaderboard(client, cid, period=period, limit=200)
        assert board["period"] == period
        assert standings(board) == this_period, period

    engagement = await client.get(
        f"/v1/communities/{cid}/members/m-bob/engagement", headers=actor()
    )
    assert engagement.status_code == 200, engagement.text
    body = engagement.json()
    # Engagement decays (half-life 14 days): 30 s cost bob nothing at 3 decimals, while dave's
    # 15 points of 40 days ago are worth 15 * 2^(-40/14) ≈ 2.07 now, so bob ranks first.
    assert (body["score"], body["activity_count"], body["rank"]) == (5.0, 2, 1)
    assert (body["points"], body["all_time_points"], body["level"]) == (5.0, 5.0, 1)
    assert body["breakdown"] == [
        {"type": "checkin", "count": 1, "points": 2.0, "capped": 0, "cooled_down": 0},
        {"type": "share", "count": 1, "points": 3.0, "capped": 0, "cooled_down": 0},
    ]
    assert body["segment"] == "casual"
    assert body["decay"]["half_life_days"] == 14.0
    dave = (
        await client.get(f"/v1/communities/{cid}/members/m-dave/engagement", headers=actor())
    ).json()
    assert abs(dave["score"] - 15 * 2 ** (-40 / 14)) < 0.002
    assert dave["rank"] == 3
    assert dave["segment"] == "dormant"  # quiet for 40 days
    assert datetime.fromisoformat(body["last_active_at"]) == latest_of_bob
    assert body["last_active_at"].endswith(("Z", "+00:00"))

    async with KafkaProbe(broker) as probe:
        events = await probe.events(
            "huoli.activities",
            type="activity.recorded",
            where=lambda e: e["data"]["activity_id"] == first["id"],
        )
    # Delivery is at least once: any copy the relay sent again carries the same event id.
    assert {event["id"] for event in events} == {activity_event_id(cid, first["id"])}
    event = events[0]
    assert event["communityid"] == cid
    assert event["data"]["attrs"] == first["attrs"]

    # A replayed batch is all duplicates and writes no events; an activity posted after it on
    # the same partition shows when the consumer has caught up past anything it might have sent.
    replay = await client.post("/v1/activities", json=batch, headers=actor(WRITER))
    assert replay.status_code == 202
    assert replay.json() == {"accepted": 0, "duplicates": len(batch), "rejected": [], "pending": []}
    marker = await client.post(
        "/v1/activities", json=[activity(cid, "m-hank", "message")], headers=actor(WRITER)
    )
    assert marker.json() == {"accepted": 1, "duplicates": 0, "rejected": [], "pending": []}

    async def caught_up() -> None:
        assert standings(await leaderboard(client, cid)) == [
            *all_time[:5],
            (6, "m-hank", 1.0),
            (7, "m-grace", 0.6),
        ]

    await eventually(caught_up, timeout=CONSUMER_TIMEOUT)


async def test_member_events_name_members_once_and_poison_is_dead_lettered(
    client: httpx.AsyncClient, broker: str, community: Community
) -> None:
    cid = await community()
    joined_id = uuid.uuid4().hex
    await publish_raw(
        broker, "huoli.members", member_joined(cid, "m-zoe", "佐伊 Zoe 🌸", joined_id), cid.encode()
    )
    # The same event id again, with other data: the inbox must skip it, not apply it.
    await publish_raw(
        broker, "huoli.members", member_joined(cid, "m-zoe", "Impostor", joined_id), cid.encode()
    )
    await publish_raw(
        broker,
        "huoli.members",
        member_joined(cid, "m-yan", "Yan 燕", uuid.uuid4().hex),
        cid.encode(),
    )
    poison = f"not json {{ {uuid.uuid4().hex}".encode()
    await publish_raw(broker, "huoli.activities", poison, cid.encode())

    async def profile_only() -> dict[str, Any]:
        response = await client.get(
            f"/v1/communities/{cid}/members/m-yan/engagement", headers=actor()
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    # m-yan's event follows the duplicate on the same partition: once it is applied, so is that.
    yan = await eventually(profile_only, timeout=CONSUMER_TIMEOUT)
    assert yan["display_name"] == "Yan 燕"
    assert (yan["score"], yan["activity_count"], yan["last_active_at"], yan["rank"]) == (
        0.0,
        0,
        None,
        None,
    )

    # The activity follows the poison on its partition: scoring it means the consumer went on.
    # m-zoe is known: her join came before m-yan's on the same partition.
    posted = await client.post(
        "/v1/activities", json=[activity(cid, "m-zoe", "share")], headers=actor(WRITER)
    )
    assert posted.json() == {"accepted": 1, "duplicates": 0, "rejected": [], "pending": []}

    async def named() -> None:
        board = await leaderboard(client, cid)
        assert board["items"] == [
            {"rank": 1, "member_id": "m-zoe", "display_name": "佐伊 Zoe 🌸", "score": 3.0}
        ]

    await eventually(named, timeout=CONSUMER_TIMEOUT)

    async with KafkaProbe(broker) as probe:
        [dead] = await probe.records(
            "huoli.activities.dlq", count=1, where=lambda record: record.value == poison
        )
    headers = dict(dead.headers)
    assert headers["huoli-consumer"] == b"scoring.ledger"
    assert b"not a CloudEvents envelope" in headers["huoli-error"]


def _valid(cid: str = "cmty_x") -> dict[str, Any]:
    return activity(cid, "m-1", "message")


BAD_BATCHES = {
    "empty list": ([], 422, ["body", "items"]),
    "empty items": ({"items": []}, 422, ["body", "items"]),
    "1001 items": ([_valid() for _ in range(1001)], 422, ["body", "items"]),
    "not a list": (_valid(), 422, ["body", "items"]),
    "items not a list": ({"items": _valid()}, 422, ["body", "items"]),
    "items beside another field": ({"items": [_valid()], "more": 1}, 422, ["body", "more"]),
    "type too long": (
        {"items": [_valid(), {**_valid(), "type": "t" * 41}]},
        422,
        ["body", "items", 1, "type"],
    ),
    "naive occurred_at": (
        [{**_valid(), "occurred_at": "2026-11-22T08:00:00"}],
        422,
        ["body", "items", 0, "occurred_at"],
    ),
    "missing member_id": (
        [{k: v for k, v in _valid().items() if k != "member_id"}],
        422,
        ["body", "items", 0, "member_id"],
    ),
    "empty id": ([{**_valid(), "id": ""}], 422, ["body", "items", 0, "id"]),
    "id over 128 chars": ([{**_valid(), "id": "x" * 129}], 422, ["body", "items", 0, "id"]),
    "attrs not an object": ([{**_valid(), "attrs": ["a"]}], 422, ["body", "items", 0, "attrs"]),
    "attrs over 4 KB": (
        [{**_valid(), "attrs": {"t": "字" * 1400}}],
        422,
        ["body", "items", 0, "attrs"],
    ),
    "unknown field": ([{**_valid(), "points": 100}], 422, ["body", "items", 0, "points"]),
}


@pytest.mark.parametrize("case", list(BAD_BATCHES))
async def test_bad_batches_are_refused_whole(api: httpx.AsyncClient, case: str) -> None:
    payload, status, loc = BAD_BATCHES[case]
    response = await api.post("/v1/activities", json=payload, headers=actor())
    problem = assert_problem(response, status, field=str(loc[-1]))
    assert problem["type"].endswith("/validation-error")
    assert loc in [err["loc"] for err in problem["errors"]], problem


async def test_bad_leaderboard_queries_and_unknown_members(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community()
    path = f"/v1/communities/{cid}/leaderboard"
    assert_problem(
        await api.get(path, params={"period": "year"}, headers=actor()), 422, field="period"
    )
    for limit in (0, 201):
        assert_problem(
            await api.get(path, params={"limit": limit}, headers=actor()), 422, field="limit"
        )
    board = await leaderboard(api, cid, period="week")
    assert (board["period"], board["items"], board["own"]) == ("week", [], None)
    # Weeks start on Monday in the community's timezone (seeded as Asia/Shanghai).
    assert board["timezone"] == "Asia/Shanghai"
    assert date.fromisoformat(board["period_start"]).weekday() == 0

    missing = await api.get(f"/v1/communities/{cid}/members/m-nobody/engagement", headers=actor())
    assert assert_problem(missing, 404)["type"].endswith("/member-not-found")


async def test_a_refused_batch_leaves_nothing_behind(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("one")
    good = activity(cid, "m-one", "message")
    refused = await api.post(
        "/v1/activities",
        json=[good, {**good, "id": "other", "occurred_at": "2026-11-22T08:00:00"}],
        headers=actor(WRITER),
    )
    assert_problem(refused, 422, field="occurred_at")
    accepted = await api.post("/v1/activities", json=[good], headers=actor(WRITER))
    assert accepted.json() == {"accepted": 1, "duplicates": 0, "rejected": [], "pending": []}


async def test_a_batch_is_sent_as_items_or_as_the_bare_array_partners_send(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("ann")
    first, second = activity(cid, "m-ann", "message"), activity(cid, "m-ann", "share")
    wrapped = await api.post("/v1/activities", json={"items": [first]}, headers=actor(WRITER))
    assert wrapped.status_code == 202
    assert wrapped.json() == {"accepted": 1, "duplicates": 0, "rejected": [], "pending": []}
    bare = await api.post("/v1/activities", json=[first, second], headers=actor(WRITER))
    assert bare.json() == {"accepted": 1, "duplicates": 1, "rejected": [], "pending": []}


async def test_the_ledger_posts_an_activity_once_even_without_the_inbox(
    database_url: str, broker: str
) -> None:
    app = service_app(SCORING, database_url=database_url, broker=broker, run_consumers=False)
    async with running_service(app) as api:
        cid = new_community()
        await seed_membership(app, membership, cid, {READER: "member", "1": "member"})
        event = ActivityRecorded(
            activity_id="act-replayed",
            community_id=cid,
            member_id="m-1",
            activity_type="share",
            occurred_at=datetime.now(UTC),
        )
        # The same id in another community is another activity.
        elsewhere = event.model_copy(update={"community_id": new_community()})
        posted = []
        for each in (event, event, elsewhere):
            async with app.state.runtime.unit_of_work() as uow:
                activities = activities_of(each, CloudEvent(source="t", type=each.type, data={}))
                posted.append(
                    await post_activities(uow=uow, activities=activities, now=datetime.now(UTC))
                )
        assert posted == [1, 0, 1]
        response = await api.get(f"/v1/communities/{cid}/members/m-1/engagement", headers=actor())
        body = response.json()
        assert (body["all_time_points"], body["activity_count"], body["rank"]) == (3.0, 1, 1)


async def test_concurrent_overlapping_batches_accept_each_id_once(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community(*(str(i) for i in range(7)))
    batch = [activity(cid, f"m-{i % 7}", "reply") for i in range(60)]
    writer = actor(WRITER)
    responses = await asyncio.gather(
        api.post("/v1/activities", json=batch, headers=writer),
        api.post("/v1/activities", json=batch[::-1], headers=writer),
        api.post("/v1/activities", json=batch[20:], headers=writer),
    )
    assert [response.status_code for response in responses] == [202, 202, 202]
    results = [response.json() for response in responses]
    assert sum(result["accepted"] for result in results) == len(batch)
    assert sum(result["duplicates"] for result in results) == len(batch) * 2 - 20


async def test_activities_are_refused_one_by_one_where_the_caller_may_not_report(
    api: httpx.AsyncClient, community: Community
) -> None:
    mine = await community("bob")
    assert Running.app is not None
    # WRITER is only a plain member here, and not in the third community at all.
    member_only = new_community()
    await seed_membership(Running.app, membership, member_only, {WRITER: "member", "bob": "member"})
    strangers = new_community()
    await seed_membership(Running.app, membership, strangers, {"bob": "member"})
    batch = [
        activity(mine, "m-bob", "message"),
        activity(mine, "mbr_GHOST", "message"),
        activity(mine, "m-bob", "share", target_member_id="mbr_GHOST"),
        activity(member_only, "m-bob", "message"),
        activity(strangers, "m-bob", "message"),
        activity("cmty_nowhere", "m-bob", "message"),
        activity(mine, "m-alice", "reply", target_member_id="m-bob"),
        activity(mine, "m-bob", "teleport"),
        activity(
            mine,
            "m-bob",
            "message",
            # A day ahead, so it is still too far ahead whenever in the session this runs.
            occurred_at=datetime.now(UTC) + timedelta(days=1),
        ),
        activity(mine, "m-bob", "reaction_received"),  # derived by scoring, never ingested
    ]
    response = await api.post("/v1/activities", json=batch, headers=actor(WRITER))
    assert response.status_code == 202, response.text
    assert response.json() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": [
            {"index": 3, "id": batch[3]["id"], "reason": "not_allowed"},
            {"index": 7, "id": batch[7]["id"], "reason": "unknown_type"},
            {"index": 8, "id": batch[8]["id"], "reason": "in_future"},
            {"index": 9, "id": batch[9]["id"], "reason": "unknown_type"},
        ],
        # What scoring may not know yet is held (tests/scoring/test_held_activities.py); a
        # stranger's community and one that does not exist read the same.
        "pending": [
            {"index": 1, "id": batch[1]["id"], "reason": "unknown_member"},
            {"index": 2, "id": batch[2]["id"], "reason": "unknown_target_member"},
            {"index": 4, "id": batch[4]["id"], "reason": "unknown_community"},
            {"index": 5, "id": batch[5]["id"], "reason": "unknown_community"},
        ],
    }
    # Nothing rejected was received: sent again by someone allowed, it is accepted.
    admin = actor("root", roles=["platform_admin"])
    again = await api.post("/v1/activities", json=[batch[3], batch[4]], headers=admin)
    assert again.json() == {"accepted": 2, "duplicates": 0, "rejected": [], "pending": []}


async def test_activity_ids_are_idempotent_per_community(
    api: httpx.AsyncClient, community: Community
) -> None:
    first, second = await community("bob"), await community("bob")
    shared_id = f"partner-msg-{uuid.uuid4().hex}"
    batch = [
        {**activity(first, "m-bob", "message"), "id": shared_id},
        {**activity(second, "m-bob", "message"), "id": shared_id},
    ]
    response = await api.post("/v1/activities", json=batch, headers=actor(WRITER))
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": [], "pending": []}
    replay = await api.post("/v1/activities", json=batch, headers=actor(WRITER))
    assert replay.json() == {"accepted": 0, "duplicates": 2, "rejected": [], "pending": []}
    assert activity_event_id(first, shared_id) != activity_event_id(second, shared_id)


async def test_boards_are_for_members_only(api: httpx.AsyncClient, community: Community) -> None:
    cid = await community("bob")
    paths = [
        f"/v1/communities/{cid}/leaderboard",
        f"/v1/communities/{cid}/members/m-bob/engagement",
    ]
    for path in paths:
        assert (await api.get(path, headers=actor(READER))).status_code == 200
        assert (
            await api.get(path, headers=actor("x", roles=["platform_admin"]))
        ).status_code == 200
        problem = assert_problem(await api.get(path, headers=actor("mallory")), 404)
        assert problem["type"].endswith("/community-not-found")
        unknown = path.replace(cid, "cmty_nowhere")
        assert_problem(await api.get(unknown, headers=actor(READER)), 404)
        # Not even a platform admin finds a community that does not exist.
        admin = actor("x", roles=["platform_admin"])
        assert_problem(await api.get(unknown, headers=admin), 404)
