"""Check-in by code in its window, feedback from attendees, the report, and lotteries whose
winners anyone can recompute from the revealed seed."""

import hashlib
from typing import Any

import httpx

from services.events.lotteries.rules import draw_winners
from tests.events.helpers import Service, add_members, at, events_service, published_event, register
from tests.events.test_lifecycle import outbox_events
from tests.support import actor, assert_problem, member_id_of

service = events_service(scheduler_poll_seconds=3600)


async def check_in(
    service: Service, event: dict[str, Any], user: str, code: str | None = None
) -> httpx.Response:
    return await service.client.post(
        f"/v1/events/{event['id']}/check-ins",
        json={"member_id": member_id_of(user), "code": code or event["checkin_code"]},
        headers=actor(user),
    )


async def test_check_in_with_the_code_in_its_window(service: Service) -> None:
    client = service.client
    # Starts in 20 minutes: check-in opened 10 minutes ago.
    event = await published_event(client, starts_at=at(minutes=20), ends_at=at(hours=2), capacity=5)
    for user in ("member", "alice"):
        assert (await register(client, event["id"], user)).status_code == 201
    wrong = "000000" if event["checkin_code"] != "000000" else "111111"
    assert assert_problem(await check_in(service, event, "member", wrong), 403)["type"].endswith(
        "/wrong-checkin-code"
    )
    checked = await check_in(service, event, "member")
    assert checked.status_code == 201, checked.text
    assert checked.json()["member_id"] == member_id_of("member")
    twice = assert_problem(await check_in(service, event, "member"), 409)
    assert twice["type"].endswith("/already-checked-in")
    unregistered = assert_problem(await check_in(service, event, "bob"), 409)
    assert unregistered["type"].endswith("/not-registered")
    assert_problem(
        await client.post(
            f"/v1/events/{event['id']}/check-ins",
            json={"member_id": member_id_of("alice"), "code": event["checkin_code"]},
            headers=actor("member"),
        ),
        403,
    )
    assert_problem(
        await client.post(
            f"/v1/events/{event['id']}/check-ins",
            json={"member_id": member_id_of("alice")},
            headers=actor("alice"),
        ),
        422,
        field="code",
    )
    [attended] = await outbox_events(service, "attendance.checked_in")
    assert attended["data"]["member_id"] == member_id_of("member")
    assert attended["data"]["event_kind"] == "salon"
    # A checked-in seat cannot be given back.
    registrations = (
        await client.get(f"/v1/events/{event['id']}/registrations", headers=actor())
    ).json()
    mine = next(i for i in registrations["items"] if i["member_id"] == member_id_of("member"))
    assert mine["checked_in_at"] is not None
    assert_problem(
        await client.delete(
            f"/v1/events/{event['id']}/registrations/{mine['id']}", headers=actor("member")
        ),
        409,
    )

    early = await published_event(client, starts_at=at(minutes=45), ends_at=at(hours=2))
    assert (await register(client, early["id"], "member")).status_code == 201
    outside = assert_problem(await check_in(service, early, "member"), 409)
    assert outside["type"].endswith("/outside-window")
    # The window is checked before the code.
    assert_problem(await check_in(service, early, "member", "999999x"), 409)


async def test_feedback_and_the_report(service: Service) -> None:
    client = service.client
    users = ["member", "alice", "officer", "owner", "r1", "r2"]
    await add_members(service.app, ["r1", "r2"])
    event = await published_event(
        client,
        kind="volunteering",
        starts_at=at(minutes=10),
        ends_at=at(hours=3, minutes=10),
        capacity=5,
    )
    for user in users:
        assert (await register(client, event["id"], user)).status_code == 201
    for user in ("member", "alice", "officer", "owner"):
        assert (await check_in(service, event, user)).status_code == 201

    path = f"/v1/events/{event['id']}/feedback"

    async def feedback(user: str, rating: Any, comment: str | None = None) -> Any:
        body = {"member_id": member_id_of(user), "rating": rating}
        if comment is not None:
            body["comment"] = comment
        return await client.post(path, json=body, headers=actor(user))

    first = await feedback("member", 5, "很棒的活动 👍")
    assert first.status_code == 201, first.text
    assert first.json()["comment"] == "很棒的活动 👍"
    assert (await feedback("alice", 4)).status_code == 201
    assert (await feedback("officer", 2)).status_code == 201
    assert assert_problem(await feedback("member", 4), 409)["type"].endswith("/feedback-exists")
    assert assert_problem(await feedback("r1", 5), 403)["type"].endswith("/attendees-only")
    for bad in (0, 6, 4.5, "5", 2**64, None):
        assert_problem(await feedback("owner", bad), 422, field="rating")
    assert_problem(await feedback("owner", 3, "x" * 2001), 422, field="comment")

    report_path = f"/v1/events/{event['id']}/report"
    assert_problem(await client.get(report_path, headers=actor("member")), 403)
    report = (await client.get(report_path, headers=actor("officer"))).json()
    assert report["registered"] == 5
    assert report["waitlisted"] == 1
    assert report["attended"] == 4
    assert report["attendance_rate"] == 0.8
    assert report["no_show_rate"] == 0.2
    assert report["feedback_count"] == 3
    assert report["avg_rating"] == round(11 / 3, 2)
    assert report["nps"] == 0  # one promoter (5), one passive (4), one detractor (2)
    assert report["volunteer_hours"] == 12.0  # 3 hours x 4 attendees
    submitted = await outbox_events(service, "feedback.submitted")
    assert sorted(e["data"]["rating"] for e in submitted) == [2, 4, 5]

    quiet = await published_event(client)
    empty = (await client.get(f"/v1/events/{quiet['id']}/report", headers=actor())).json()
    assert (empty["registered"], empty["attendance_rate"], empty["avg_rating"], empty["nps"]) == (
        0,
        None,
        None,
        None,
    )
    assert empty["volunteer_hours"] is None


def recompute(seed_hex: str, pool: list[str], winners: int) -> list[str]:
    """The draw, as README documents it, written again from the text."""
    seed = bytes.fromhex(seed_hex)
    keyed = sorted((hashlib.sha256(seed + m.encode("utf-8")).hexdigest(), m) for m in set(pool))
    return [member for _key, member in keyed[:winners]]


async def test_commit_then_draw_and_anyone_recomputes_the_winners(service: Service) -> None:
    client = service.client
    users = [f"lucky{index}" for index in range(8)]
    await add_members(service.app, users)
    event = await published_event(client)
    for user in users:
        assert (await register(client, event["id"], user)).status_code == 201

    commit_path = f"/v1/events/{event['id']}/lottery/commit"
    body = {"winners": 3, "pool": "registrants", "prize": "签名书 📖"}
    assert_problem(await client.post(commit_path, json=body, headers=actor("member")), 403)
    committed = await client.post(commit_path, json=body, headers=actor("officer"))
    assert committed.status_code == 201, committed.text
    lottery = committed.json()
    assert "seed" not in lottery
    assert len(lottery["seed_sha256"]) == 64

    draw_path = f"/v1/events/{event['id']}/lottery/{lottery['id']}/draw"
    drawn = await client.post(draw_path, headers=actor("officer"))
    assert drawn.status_code == 200, drawn.text
    result = drawn.json()
    assert hashlib.sha256(bytes.fromhex(result["seed"])).hexdigest() == lottery["seed_sha256"]
    pool = sorted(member_id_of(user) for user in users)
    assert result["pool_size"] == len(pool)
    assert result["winners"] == recompute(result["seed"], pool, 3)
    assert len(set(result["winners"])) == 3
    assert assert_problem(await client.post(draw_path, headers=actor()), 409)["type"].endswith(
        "/already-drawn"
    )
    [announced] = await outbox_events(service, "lottery.drawn")
    assert announced["data"]["seed"] == result["seed"]
    assert announced["data"]["winners"] == result["winners"]

    # More winners than the pool: everyone wins once.
    at_once = await client.post(
        f"/v1/events/{event['id']}/lottery",
        json={"winners": 50, "pool": "registrants", "prize": "贴纸"},
        headers=actor(),
    )
    assert at_once.status_code == 201, at_once.text
    everyone = at_once.json()
    assert sorted(everyone["winners"]) == pool
    assert everyone["winners"] == recompute(everyone["seed"], pool, 50)
    assert everyone["seed"] != result["seed"]

    # Nobody checked in: the attendees' pool is empty.
    nobody = await client.post(
        f"/v1/events/{event['id']}/lottery",
        json={"winners": 1, "pool": "attendees", "prize": "x"},
        headers=actor(),
    )
    assert (nobody.json()["winners"], nobody.json()["pool_size"]) == ([], 0)
    for bad in ({"winners": 0}, {"winners": 2**64}, {"pool": "everyone"}, {"prize": ""}):
        assert_problem(
            await client.post(commit_path, json={**body, **bad}, headers=actor()),
            422,
            field=next(iter(bad)),
        )
    unknown = f"/v1/events/{event['id']}/lottery/lot_nope/draw"
    assert_problem(await client.post(unknown, headers=actor()), 404)


def test_the_draw_is_a_function_of_seed_and_pool() -> None:
    seed = bytes(range(32))
    pool = ["m-c", "m-a", "m-b", "m-a"]
    assert draw_winners(seed, pool, 2) == recompute(seed.hex(), pool, 2)
    assert draw_winners(seed, pool, 2) == draw_winners(seed, sorted(pool), 2)
    assert sorted(draw_winners(seed, pool, 10)) == ["m-a", "m-b", "m-c"]
    many = [f"m-{index:02d}" for index in range(26)]
    # Another seed, another order (these two fixed seeds give different ones).
    assert draw_winners(bytes(32), many, 26) != draw_winners(seed, many, 26)
