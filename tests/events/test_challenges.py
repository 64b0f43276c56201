"""打卡 challenges: one check-in per member per local day, streaks, make-up cards (补卡)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from services.common.events.catalogue import CommunityCreated
from services.common.membership.repository import save_community
from services.events.challenges.rules import streak_of
from services.events.tables import membership
from tests.events.helpers import COMMUNITY, Service, events_service
from tests.events.test_lifecycle import outbox_events
from tests.support import actor, assert_problem, member_id_of, seed_membership

service = events_service(scheduler_poll_seconds=3600)


def shanghai_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def create_challenge(service: Service, *, starts_on: date, days: int, cards: int = 2) -> str:
    created = await service.client.post(
        f"/v1/communities/{COMMUNITY}/challenges",
        json={
            "title": "21 天早起打卡 ☀️",
            "days": days,
            "starts_on": starts_on.isoformat(),
            "make_up_cards": cards,
        },
        headers=actor("officer"),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["ends_on"] == (starts_on + timedelta(days=days - 1)).isoformat()
    challenge_id: str = body["id"]
    return challenge_id


async def test_daily_check_ins_streaks_and_make_up_cards(service: Service) -> None:
    client = service.client
    today = shanghai_today()
    challenge_id = await create_challenge(service, starts_on=today - timedelta(days=5), days=10)
    path = f"/v1/challenges/{challenge_id}/check-ins"

    async def check_in(
        user: str, day: date | None = None, *, by: str | None = None
    ) -> httpx.Response:
        body = {"member_id": member_id_of(user)}
        if day is not None:
            body["date"] = day.isoformat()
        return await client.post(path, json=body, headers=actor(by or user))

    first = await check_in("member")
    assert first.status_code == 201, first.text
    assert first.json()["checked_in_on"] == today.isoformat()
    assert (first.json()["make_up"], first.json()["current_streak"]) == (False, 1)
    again = assert_problem(await check_in("member"), 409)
    assert again["type"].endswith("/already-checked-in")
    assert_problem(await check_in("member", today + timedelta(days=1)), 409)
    assert_problem(await check_in("member", today - timedelta(days=6)), 409)

    yesterday = await check_in("member", today - timedelta(days=1))
    assert yesterday.status_code == 201, yesterday.text
    assert yesterday.json()["make_up"] is True
    assert yesterday.json()["current_streak"] == 2
    assert yesterday.json()["make_up_cards_left"] == 1
    earlier = await check_in("member", today - timedelta(days=3))
    assert (earlier.json()["current_streak"], earlier.json()["longest_streak"]) == (2, 2)
    assert earlier.json()["make_up_cards_left"] == 0
    spent = assert_problem(await check_in("member", today - timedelta(days=2)), 409)
    assert spent["type"].endswith("/no-make-up-cards")

    assert (await check_in("alice")).status_code == 201
    assert (await check_in("bob", by="officer")).status_code == 201
    assert_problem(await check_in("bob", by="member"), 403)
    hidden = assert_problem(await check_in("mallory"), 404)
    assert hidden["type"].endswith("/challenge-not-found")

    board = await client.get(f"/v1/challenges/{challenge_id}/streaks", headers=actor("bob"))
    assert board.status_code == 200, board.text
    assert board.json()["today"] == today.isoformat()
    items = board.json()["items"]
    assert [(i["rank"], i["member_id"], i["current_streak"]) for i in items] == [
        (1, member_id_of("member"), 2),
        (2, member_id_of("alice"), 1),
        (3, member_id_of("bob"), 1),
    ]
    assert items[0]["days_checked_in"] == 3

    events = await outbox_events(service, "challenge.checked_in")
    assert [(e["data"]["make_up"], e["data"]["streak"]) for e in events[:3]] == [
        (False, 1),
        (True, 2),
        (True, 2),
    ]


async def test_the_day_is_the_community_s_local_day(service: Service) -> None:
    # Kiritimati is UTC+14 and Pago Pago UTC-11: at any moment their dates differ.
    now = datetime.now(UTC)
    ahead, behind = "cmty_kiritimati", "cmty_pagopago"
    async with service.app.state.runtime.sessions() as session:
        for community_id, zone in ((ahead, "Pacific/Kiritimati"), (behind, "Pacific/Pago_Pago")):
            await save_community(
                session,
                membership,
                CommunityCreated(
                    community_id=community_id,
                    name=zone,
                    join_policy="open",
                    timezone=zone,
                    owner_user_id="owner",
                    created_at=now,
                ),
            )
        await session.commit()
    for community_id in (ahead, behind):
        await seed_membership(service.app, membership, community_id)
    todays = {}
    for community_id, zone in ((ahead, "Pacific/Kiritimati"), (behind, "Pacific/Pago_Pago")):
        local_today = now.astimezone(ZoneInfo(zone)).date()
        created = await service.client.post(
            f"/v1/communities/{community_id}/challenges",
            json={
                "title": "t",
                "days": 3,
                "starts_on": (local_today - timedelta(days=1)).isoformat(),
            },
            headers=actor("owner"),
        )
        assert created.status_code == 201, created.text
        checked = await service.client.post(
            f"/v1/challenges/{created.json()['id']}/check-ins",
            json={"member_id": member_id_of("owner")},
            headers=actor("owner"),
        )
        assert checked.status_code == 201, checked.text
        todays[community_id] = checked.json()["checked_in_on"]
    assert date.fromisoformat(todays[ahead]) > date.fromisoformat(todays[behind])


async def test_challenge_input_is_checked(service: Service) -> None:
    path = f"/v1/communities/{COMMUNITY}/challenges"
    good = {"title": "打卡", "days": 7, "starts_on": "2026-12-01"}
    for field, bad in (
        ("days", 0),
        ("days", 367),
        ("days", 2**64),
        ("starts_on", 20261201),
        ("starts_on", "2026-13-01"),
        ("starts_on", "0001-01-01"),
        ("title", ""),
        ("make_up_cards", -1),
    ):
        assert_problem(
            await service.client.post(path, json={**good, field: bad}, headers=actor()),
            422,
            field=field,
        )
    assert_problem(await service.client.post(path, json=good, headers=actor("member")), 403)
    created = await service.client.post(path, json=good, headers=actor())
    assert created.json()["make_up_cards"] == 2
    checkins = f"/v1/challenges/{created.json()['id']}/check-ins"
    assert_problem(
        await service.client.post(
            checkins,
            json={"member_id": member_id_of("alice"), "date": "yesterday"},
            headers=actor(),
        ),
        422,
        field="date",
    )


def test_streaks() -> None:
    day = date(2026, 12, 10)

    def days(*offsets: int) -> list[date]:
        return [day - timedelta(days=offset) for offset in offsets]

    assert streak_of([], today=day, last_day=day).current == 0
    # Today not yet checked in: the run up to yesterday is still current.
    streak = streak_of(days(1, 2, 3, 6, 7, 8, 9), today=day, last_day=day + timedelta(days=5))
    assert (streak.current, streak.longest, streak.total) == (3, 4, 7)
    # A whole day missed: the streak is broken.
    assert streak_of(days(2, 3), today=day, last_day=day + timedelta(days=5)).current == 0
    assert streak_of(days(0, 1), today=day, last_day=day).current == 2
    # After the challenge, the run that reached its last day stays current.
    ended = streak_of(days(5, 6, 7), today=day, last_day=day - timedelta(days=5))
    assert (ended.current, ended.longest) == (3, 3)
