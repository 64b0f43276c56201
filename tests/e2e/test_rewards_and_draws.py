"""Issue 24's rewards and recognition through the gateway on real processes and both databases:
coupon batches a reward hands out one code at a time (concurrent redemptions never share one),
badges awarded to an event's attendees in one call and by rules as activities arrive, benefits
of a tier and a level shown with a member's standing, and community-wide lotteries whose
frozen pool and revealed seed let anyone recompute the winners.

Bad input, and how each kind is answered (nothing is stored then):
- a coupon code with a space, a NUL, 65 characters, 10,001 codes, both `codes` and `generate`,
  `generate: 0`: 422 naming the field; coupons on a reward with a plain stock, or a PATCH of a
  coupon-backed reward's stock: 409 naming `stock`;
- a badge rule of an unknown kind or activity type, a count of 0 or a huge number: 422 naming the
  field; a rule or bulk award for a built-in badge: 409 `badge-built-in`; a bulk award for an
  event of another community: 422 naming `event_id`;
- level 11, 21 benefits, an empty title, a lone surrogate: 422 naming the field;
- a lottery pool naming a tier or poll of another community: 422 naming `tier_id` / `poll_id`;
  an active pool ending before it starts: 422 naming `to_on`; a second draw: 409.
"""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import System
from tests.e2e.test_walking_skeleton import create_community, join, known_to_scoring
from tests.support import assert_problem, eventually

pytestmark = pytest.mark.e2e


async def call(
    system: System, method: str, path: str, user: str, *, status: int = 200, **kwargs: Any
) -> Any:
    response = await system.gateway.request(method, path, headers=system.auth(user), **kwargs)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def now_activities(cid: str, member_id: str, kind: str, count: int, tag: str) -> list[Any]:
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        {
            "id": f"{tag}-{member_id}-{kind}-{n}",
            "community_id": cid,
            "member_id": member_id,
            "type": kind,
            "occurred_at": (start + timedelta(seconds=61 * n)).isoformat(),
        }
        for n in range(count)
    ]


async def test_coupon_batches_hand_out_each_code_once(system: System) -> None:
    owner_user = "cpn-owner"
    cid = await create_community(system, owner=owner_user)
    users = [f"cpn-{index}" for index in range(4)]
    members = [await join(system, cid, user, user) for user in users]
    await known_to_scoring(system, cid, members, owner=owner_user)
    for member in members:
        await call(
            system,
            "POST",
            f"/v1/communities/{cid}/members/{member}/points",
            owner_user,
            json={"delta": 50, "reason": "welcome"},
        )
    reward = await call(
        system,
        "POST",
        f"/v1/communities/{cid}/rewards",
        owner_user,
        status=201,
        json={"name": "京东 E 卡 🎁", "price": 10, "stock": 0},
    )
    rid = reward["id"]
    batches = f"/v1/communities/{cid}/rewards/{rid}/coupon-batches"
    owner = system.auth(owner_user)

    # Bad input: each refused naming the field, nothing stored.
    for body, field in (
        ({"codes": ["HAS SPACE"]}, 0),
        ({"codes": ["NUL\u0000"]}, 0),
        ({"codes": ["x" * 65]}, 0),
        ({"codes": [f"C{n}" for n in range(10_001)]}, "codes"),
        ({"codes": ["A"], "generate": 1}, "codes"),
        ({}, "codes"),
        ({"generate": 0}, "generate"),
        ({"generate": 10**30}, "generate"),
    ):
        refused = await system.gateway.post(batches, json=body, headers=owner)
        assert_problem(refused, 422, field=field)  # type: ignore[arg-type]
    assert (await call(system, "GET", batches, owner_user))["items"] == []

    imported = await call(
        system, "POST", batches, owner_user, status=201, json={"codes": ["A1", "A1", "B2", "C3"]}
    )
    assert (imported["source"], imported["count"], imported["skipped"]) == ("imported", 3, 1)
    again = await call(
        system, "POST", batches, owner_user, status=201, json={"codes": ["C3", "D4"]}
    )
    assert (again["count"], again["skipped"]) == (1, 1)
    generated = await call(system, "POST", batches, owner_user, status=201, json={"generate": 2})
    assert generated["source"] == "generated" and generated["count"] == 2
    generated_codes = [code["code"] for code in generated["codes"]]
    assert len(set(generated_codes)) == 2
    every_code = {"A1", "B2", "C3", "D4", *generated_codes}
    read = await call(system, "GET", f"{batches}/{imported['id']}", owner_user)
    assert [code["code"] for code in read["codes"]] == ["A1", "B2", "C3"]
    stocked = await call(system, "GET", f"/v1/communities/{cid}/rewards/{rid}", users[0])
    assert (stocked["stock"], stocked["coupon_backed"]) == (6, True)
    # The stock is the codes left: it cannot be set by hand.
    patched = await system.gateway.patch(
        f"/v1/communities/{cid}/rewards/{rid}", json={"stock": 100}, headers=owner
    )
    assert_problem(patched, 409, field="stock")

    # A reward counted by hand takes no coupons.
    plain = await call(
        system,
        "POST",
        f"/v1/communities/{cid}/rewards",
        owner_user,
        status=201,
        json={"name": "马克杯", "price": 5, "stock": 3},
    )
    refused = await system.gateway.post(
        f"/v1/communities/{cid}/rewards/{plain['id']}/coupon-batches",
        json={"codes": ["Z9"]},
        headers=owner,
    )
    assert assert_problem(refused, 409, field="stock")["type"].endswith("reward-has-plain-stock")

    # Eight concurrent redemptions (two by each member) of six codes: six get a code each,
    # all different; two find none left and nothing is debited.
    path = f"/v1/communities/{cid}/rewards/{rid}/redemptions"
    answers = await asyncio.gather(
        *(
            system.gateway.post(path, json={}, headers=system.auth(user))
            for user in users
            for _ in range(2)
        )
    )
    assert sorted(answer.status_code for answer in answers) == [201] * 6 + [409] * 2
    won = [answer.json() for answer in answers if answer.status_code == 201]
    handed = [redemption["coupon_code"] for redemption in won]
    assert len(set(handed)) == 6 and set(handed) == every_code
    for lost in (answer for answer in answers if answer.status_code == 409):
        assert assert_problem(lost, 409, field="stock")["type"].endswith("reward-out-of-stock")
    emptied = await call(system, "GET", f"/v1/communities/{cid}/rewards/{rid}", owner_user)
    assert (emptied["stock"], emptied["redeemed"]) == (0, 6)
    listed = await call(system, "GET", batches, owner_user)
    assert sum(batch["issued"] for batch in listed["items"]) == 6
    taken = {
        code["code"]: code["redemption_id"] for batch in listed["items"] for code in batch["codes"]
    }
    assert taken == {redemption["coupon_code"]: redemption["id"] for redemption in won}
    # Cancelling refunds the points but never hands the code out again.
    first = won[0]
    cancelled = await call(
        system,
        "POST",
        f"/v1/communities/{cid}/redemptions/{first['id']}/cancel",
        owner_user,
        json={"reason": "退款"},
    )
    assert cancelled["coupon_code"] == first["coupon_code"]
    after = await call(system, "GET", f"/v1/communities/{cid}/rewards/{rid}", owner_user)
    assert after["stock"] == 0


async def _event_with_attendees(
    system: System, cid: str, owner: str, attendees: list[tuple[str, str]], registrants: list[Any]
) -> str:
    now = datetime.now(UTC)

    async def created() -> Any:
        return await call(
            system,
            "POST",
            f"/v1/communities/{cid}/events",
            owner,
            status=201,
            json={
                "title": "线下聚会",
                "kind": "themed_meetup",
                "format": "offline",
                "location": "上海",
                "starts_at": (now + timedelta(minutes=10)).isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
            },
        )

    event = await eventually(created, timeout=30, interval=0.3)
    await call(system, "POST", f"/v1/events/{event['id']}/publish", owner)
    for user, member in [*attendees, *registrants]:

        async def registered(user: str = user, member: str = member) -> None:
            await call(
                system,
                "POST",
                f"/v1/events/{event['id']}/registrations",
                user,
                status=201,
                json={"member_id": member},
            )

        await eventually(registered, timeout=30)
    for user, member in attendees:
        await call(
            system,
            "POST",
            f"/v1/events/{event['id']}/check-ins",
            user,
            status=201,
            json={"member_id": member, "code": event["checkin_code"]},
        )
    event_id: str = event["id"]
    return event_id


async def test_badges_go_to_an_events_attendees_at_once_and_by_rules(system: System) -> None:
    owner = "bdg-owner"
    cid = await create_community(system, owner=owner)
    ming = await join(system, cid, "bdg-ming", "小明")
    hong = await join(system, cid, "bdg-hong", "小红")
    gang = await join(system, cid, "bdg-gang", "Gang")
    await known_to_scoring(system, cid, [ming, hong, gang], owner=owner)
    badge = await call(
        system, "POST", f"/v1/communities/{cid}/badges", owner, status=201, json={"name": "到场"}
    )
    bid = badge["id"]

    event_id = await _event_with_attendees(
        system, cid, owner, [("bdg-ming", ming), ("bdg-hong", hong)], [("bdg-gang", gang)]
    )
    bulk = f"/v1/communities/{cid}/badges/{bid}/bulk-awards"

    # Check-ins reach scoring one by one: a call may find one attendee, the next the other
    # (and skip the first). Until both arrived, a call finding none is 422.
    awarded: list[str] = []

    async def all_attended() -> None:
        given = await call(system, "POST", bulk, owner, json={"event_id": event_id})
        awarded.extend(given["awarded_member_ids"])
        assert given["awarded"] + given["skipped"] == 2, given

    await eventually(all_attended, timeout=30)
    assert sorted(awarded) == sorted([ming, hong])
    # Idempotent: who holds it is skipped; the registrants' pool adds the one who did not come.
    again = await call(system, "POST", bulk, owner, json={"event_id": event_id})
    assert (again["awarded"], again["skipped"]) == (0, 2)
    registrants = await call(
        system, "POST", bulk, owner, json={"event_id": event_id, "pool": "registrants"}
    )
    assert (registrants["awarded"], registrants["skipped"]) == (1, 2)
    engagement = await call(
        system, "GET", f"/v1/communities/{cid}/members/{gang}/engagement", owner
    )
    assert bid in engagement["badges"]
    # Revoking stays possible.
    await call(
        system, "DELETE", f"/v1/communities/{cid}/members/{gang}/badges/{bid}", owner, status=204
    )

    # An event of another community is refused, naming the field.
    other = await create_community(system, owner="bdg-other")
    stranger = await join(system, other, "bdg-stranger", "Stranger")
    await known_to_scoring(system, other, [stranger], owner="bdg-other")
    foreign = await _event_with_attendees(
        system, other, "bdg-other", [("bdg-stranger", stranger)], []
    )

    async def foreign_refused() -> None:
        refused = await system.gateway.post(
            bulk, json={"event_id": foreign}, headers=system.auth(owner)
        )
        body = assert_problem(refused, 422, field="event_id")
        assert "another community" in body["detail"]

    await eventually(foreign_refused, timeout=30)

    # Rules: 3 messages, evaluated over members at once and then as activities are posted.
    talker = await call(
        system, "POST", f"/v1/communities/{cid}/badges", owner, status=201, json={"name": "话痨"}
    )
    tid = talker["id"]
    before = await call(system, "GET", f"/v1/communities/{cid}/members/{ming}/engagement", owner)
    posted = await system.gateway.post(
        "/v1/activities",
        json=now_activities(cid, ming, "message", 3, "rule"),
        headers=system.auth(owner),
    )
    assert posted.status_code == 202, posted.text

    async def ming_counted() -> None:
        stats = await call(system, "GET", f"/v1/communities/{cid}/members/{ming}/engagement", owner)
        # Three messages, a point each, on top of what the event earned her.
        assert stats["points"] >= before["points"] + 3, stats

    await eventually(ming_counted, timeout=30)
    rules = f"/v1/communities/{cid}/badges/{tid}/rules"
    for body, field in (
        ({"rule": {"kind": "nonsense", "count": 3}}, "rule"),
        ({"rule": {"kind": "activity_count", "activity_type": "nap", "count": 3}}, "activity_type"),
        ({"rule": {"kind": "activity_count", "activity_type": "message", "count": 0}}, "count"),
        ({"rule": {"kind": "level", "level": 10**40}}, "level"),
        ({"rule": {"kind": "points", "points": "NaN"}}, "points"),
    ):
        assert_problem(
            await system.gateway.post(rules, json=body, headers=system.auth(owner)),
            422,
            field=field,
        )
    assert (await call(system, "GET", rules, owner))["items"] == []
    built_in = await system.gateway.post(
        f"/v1/communities/{cid}/badges/first_event/rules",
        json={"rule": {"kind": "level", "level": 2}},
        headers=system.auth(owner),
    )
    assert assert_problem(built_in, 409)["type"].endswith("badge-built-in")
    rule = await call(
        system,
        "POST",
        rules,
        owner,
        status=201,
        json={"rule": {"kind": "activity_count", "activity_type": "message", "count": 3}},
    )
    assert (rule["kind"], rule["threshold"], rule["awarded"]) == ("activity_count", 3, 1)
    assert (await call(system, "GET", f"{rules}/{rule['id']}", "bdg-hong"))["id"] == rule["id"]
    held = await call(system, "GET", f"/v1/communities/{cid}/members/{ming}/engagement", owner)
    assert tid in held["badges"]

    # Hong's third message earns it as the ledger posts it.
    posted = await system.gateway.post(
        "/v1/activities",
        json=now_activities(cid, hong, "message", 3, "rule"),
        headers=system.auth(owner),
    )
    assert posted.status_code == 202, posted.text

    async def hong_earned() -> None:
        stats = await call(system, "GET", f"/v1/communities/{cid}/members/{hong}/engagement", owner)
        assert tid in stats["badges"], stats

    await eventually(hong_earned, timeout=30)

    # A streak rule: a 1-day 打卡 challenge's check-in carries streak 1.
    streaker = await call(
        system, "POST", f"/v1/communities/{cid}/badges", owner, status=201, json={"name": "打卡"}
    )
    await call(
        system,
        "POST",
        f"/v1/communities/{cid}/badges/{streaker['id']}/rules",
        owner,
        status=201,
        json={"rule": {"kind": "streak", "days": 1}},
    )
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    challenge = await call(
        system,
        "POST",
        f"/v1/communities/{cid}/challenges",
        owner,
        status=201,
        json={"title": "一天打卡", "days": 1, "starts_on": today.isoformat()},
    )
    await call(
        system,
        "POST",
        f"/v1/challenges/{challenge['id']}/check-ins",
        "bdg-gang",
        status=201,
        json={"member_id": gang},
    )

    async def gang_streaked() -> None:
        stats = await call(system, "GET", f"/v1/communities/{cid}/members/{gang}/engagement", owner)
        assert streaker["id"] in stats["badges"], stats

    await eventually(gang_streaked, timeout=30)


async def test_a_standing_shows_the_benefits_of_its_tier_and_level(system: System) -> None:
    owner = "ben-owner"
    cid = await create_community(system, owner=owner)
    ming = await join(system, cid, "ben-ming", "小明")
    await known_to_scoring(system, cid, [ming], owner=owner)
    standing = await call(system, "GET", f"/v1/me/communities/{cid}/standing", "ben-ming")
    tier_id = standing["tier_id"]
    assert (standing["level"], standing["tier_benefits"], standing["level_benefits"]) == (1, [], [])

    tier_benefits = f"/v1/communities/{cid}/tiers/{tier_id}/benefits"
    level = f"/v1/communities/{cid}/levels"
    for path, body, field in (
        (tier_benefits, {"benefits": [{"title": ""}]}, "title"),
        (tier_benefits, {"benefits": [{"title": "t"}] * 21}, "benefits"),
        (f"{level}/11/benefits", {"benefits": []}, "level"),
        (
            f"{level}/2/benefits",
            {"benefits": [{"title": "ok", "description": "x" * 1001}]},
            "description",
        ),
    ):
        refused = await system.gateway.put(path, json=body, headers=system.auth(owner))
        assert refused.status_code in (400, 422), refused.text
        assert_problem(refused, refused.status_code, field=field)
    # A lone surrogate, escaped in the JSON text (no encoder would send it raw).
    surrogate = await system.gateway.put(
        f"{level}/2/benefits",
        content=b'{"benefits": [{"title": "\\ud800"}]}',
        headers={**system.auth(owner), "Content-Type": "application/json"},
    )
    assert surrogate.status_code in (400, 422), surrogate.text
    assert_problem(surrogate, surrogate.status_code)
    assert (await call(system, "GET", tier_benefits, "ben-ming"))["benefits"] == []
    assert (await call(system, "GET", f"{level}/2", "ben-ming"))["benefits"] == []

    await call(
        system,
        "PUT",
        tier_benefits,
        owner,
        json={"benefits": [{"title": "嘉宾分享优先席", "description": "前排 🎤"}]},
    )
    await call(
        system, "PUT", f"{level}/1/benefits", owner, json={"benefits": [{"title": "新人礼包"}]}
    )
    await call(
        system,
        "PUT",
        f"{level}/2/benefits",
        owner,
        json={"benefits": [{"title": "活动优先报名", "description": "提前 24 小时"}]},
    )
    levels = await call(system, "GET", level, "ben-ming")
    assert [item["level"] for item in levels["items"]] == list(range(1, 11))
    assert levels["items"][1]["points"] == 10 and levels["items"][1]["benefits"][0]["title"] == (
        "活动优先报名"
    )

    async def first_level() -> None:
        shown = await call(system, "GET", f"/v1/me/communities/{cid}/standing", "ben-ming")
        assert shown["tier_benefits"] == [{"title": "嘉宾分享优先席", "description": "前排 🎤"}]
        assert (shown["level"], shown["level_benefits"]) == (
            1,
            [{"title": "新人礼包", "description": ""}],
        ), shown

    await eventually(first_level, timeout=30)
    # 10 points reach level 2: `level.reached` brings the member's level and its benefits.
    await call(
        system,
        "POST",
        f"/v1/communities/{cid}/members/{ming}/points",
        owner,
        json={"delta": 10, "reason": "贡献"},
    )

    async def second_level() -> None:
        shown = await call(system, "GET", f"/v1/me/communities/{cid}/standing", "ben-ming")
        assert (shown["level"], [b["title"] for b in shown["level_benefits"]]) == (
            2,
            ["活动优先报名"],
        ), shown

    await eventually(second_level, timeout=30)


def recompute(seed_hex: str, pool: list[str], winners: int) -> list[str]:
    """The documented draw, written out again here from docs/scoring.md."""
    seed = bytes.fromhex(seed_hex)
    ranked = sorted(
        (hashlib.sha256(seed + member.encode()).hexdigest(), member) for member in set(pool)
    )
    return [member for _, member in ranked[:winners]]


async def test_community_lotteries_freeze_the_pool_and_anyone_recomputes(system: System) -> None:
    owner = "lot-owner"
    cid = await create_community(system, owner=owner)
    users = [f"lot-{index}" for index in range(5)]
    members = [await join(system, cid, user, user) for user in users]
    await known_to_scoring(system, cid, members, owner=owner)
    standing = await call(system, "GET", f"/v1/me/communities/{cid}/standing", users[0])
    tier_id = standing["tier_id"]
    lotteries = f"/v1/communities/{cid}/lotteries"

    committed = await call(
        system,
        "POST",
        lotteries,
        owner,
        status=201,
        json={"prize": "年度会员 🎉", "winners": 2, "pool": {"kind": "tier", "tier_id": tier_id}},
    )
    pool = committed["pool_member_ids"]
    assert set(members) <= set(pool) and pool == sorted(pool)
    assert committed["pool_sha256"] == hashlib.sha256("\n".join(pool).encode()).hexdigest()
    assert (committed["seed"], committed["winners"], committed["status"]) == (
        None,
        None,
        "committed",
    )
    # A member who joins after the commit is not in the frozen pool.
    late = await join(system, cid, "lot-late", "Late")
    drawn = await call(system, "POST", f"{lotteries}/{committed['id']}/draw", owner)
    assert late not in drawn["pool_member_ids"] and drawn["pool_member_ids"] == pool
    seed = drawn["seed"]
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == committed["seed_sha256"]
    assert drawn["winners"] == recompute(seed, pool, 2)
    read = await call(system, "GET", f"{lotteries}/{committed['id']}", users[1])
    assert (read["seed"], read["winners"]) == (seed, drawn["winners"])
    twice = await system.gateway.post(
        f"{lotteries}/{committed['id']}/draw", headers=system.auth(owner)
    )
    assert_problem(twice, 409, field="status")

    # Activity now: the active pool of today and the top of the all-time board.
    batch = now_activities(cid, members[0], "share", 2, "lot") + now_activities(
        cid, members[1], "reply", 1, "lot"
    )
    posted = await system.gateway.post("/v1/activities", json=batch, headers=system.auth(owner))
    assert posted.status_code == 202, posted.text
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()

    async def active_pool() -> None:
        active = await call(
            system,
            "POST",
            lotteries,
            owner,
            status=201,
            json={
                "prize": "周边",
                "winners": 1,
                "pool": {
                    "kind": "active",
                    "from_on": (today - timedelta(days=1)).isoformat(),
                    "to_on": today.isoformat(),
                },
            },
        )
        assert active["pool_member_ids"] == sorted(members[:2]), active

    await eventually(active_pool, timeout=30)
    top = await call(
        system,
        "POST",
        lotteries,
        owner,
        status=201,
        json={"prize": "冠军", "winners": 1, "pool": {"kind": "top", "period": "all", "limit": 1}},
    )
    assert top["pool_member_ids"] == [members[0]]

    # A poll's voters and a challenge's finishers, kept from content's and events' events.
    async def poll_created() -> Any:
        return await call(
            system,
            "POST",
            f"/v1/communities/{cid}/content",
            owner,
            status=201,
            json={
                "kind": "poll",
                "title": "下次活动去哪",
                "body": "投票",
                "source": "official",
                "poll_options": ["上海", "北京"],
            },
        )

    poll = await eventually(poll_created, timeout=30)
    for step in ("submit", "approve", "publish"):
        await call(system, "POST", f"/v1/content/{poll['id']}/{step}", owner)
    for user, member in zip(users[:3], members[:3], strict=True):
        await call(
            system,
            "POST",
            f"/v1/content/{poll['id']}/votes",
            user,
            status=201,
            json={"member_id": member, "option": "上海"},
        )

    async def voters_pool() -> None:
        voters = await call(
            system,
            "POST",
            lotteries,
            owner,
            status=201,
            json={
                "prize": "票",
                "winners": 1,
                "pool": {"kind": "poll_voters", "poll_id": poll["id"]},
            },
        )
        assert voters["pool_member_ids"] == sorted(members[:3])

    await eventually(voters_pool, timeout=30)
    challenge = await call(
        system,
        "POST",
        f"/v1/communities/{cid}/challenges",
        owner,
        status=201,
        json={"title": "一天打卡", "days": 1, "starts_on": today.isoformat()},
    )
    await call(
        system,
        "POST",
        f"/v1/challenges/{challenge['id']}/check-ins",
        users[4],
        status=201,
        json={"member_id": members[4]},
    )

    async def finishers_pool() -> None:
        finishers = await call(
            system,
            "POST",
            lotteries,
            owner,
            status=201,
            json={
                "prize": "奖牌",
                "winners": 1,
                "pool": {"kind": "challenge_finishers", "challenge_id": challenge["id"]},
            },
        )
        assert finishers["pool_member_ids"] == [members[4]]

    await eventually(finishers_pool, timeout=30)

    # Another community's tier and poll are refused, naming the field; so is a reversed period.
    other = await create_community(system, owner="lot-other")
    outsider = await join(system, other, "lot-outsider", "Outsider")
    await known_to_scoring(system, other, [outsider], owner="lot-other")
    their = await call(system, "GET", f"/v1/me/communities/{other}/standing", "lot-outsider")
    before = len((await call(system, "GET", lotteries, owner))["items"])
    for pool_spec, field in (
        ({"kind": "tier", "tier_id": their["tier_id"]}, "tier_id"),
        ({"kind": "poll_voters", "poll_id": "cnt_nope"}, "poll_id"),
        ({"kind": "active", "from_on": "2026-12-02", "to_on": "2026-12-01"}, "to_on"),
        ({"kind": "segment", "segment": "whales"}, "segment"),
        ({"kind": "top", "limit": 1001}, "limit"),
    ):
        refused = await system.gateway.post(
            lotteries,
            json={"prize": "x", "winners": 1, "pool": pool_spec},
            headers=system.auth(owner),
        )
        assert_problem(refused, 422, field=field)
    assert len((await call(system, "GET", lotteries, owner))["items"]) == before
