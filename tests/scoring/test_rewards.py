"""The points mall in-process, on SQLite and PostgreSQL: stocking rewards, redeeming (points and
stock in one transaction), concurrent redemptions that never oversell or overdraw, cancelling,
and how each kind of bad input is answered (nothing debited)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from services.common.components import SCORING
from services.common.events.catalogue import UserErased
from services.common.events.catalogue.vocabulary import erased_user_id
from services.common.events.envelope import CloudEvent
from services.scoring.erasure.service import erase_member
from services.scoring.replay import repository as replay_repository
from services.scoring.replay import service as replay
from services.scoring.tables import membership, messaging
from tests.support import actor, assert_problem, seed_membership, service_client

OWNER, ADMIN, ALICE, BOB = "owner", "staff", "alice", "bob"


class Running:
    app: FastAPI | None = None


async def remember(app: FastAPI) -> None:
    Running.app = app


api = service_client(SCORING, prepare=remember, run_consumers=False)


def app() -> FastAPI:
    assert Running.app is not None
    return Running.app


async def community(*members: str) -> str:
    cid = f"cmty_{uuid.uuid4().hex[:20]}"
    roles = {ADMIN: "admin", ALICE: "member", BOB: "member", **dict.fromkeys(members, "member")}
    await seed_membership(app(), membership, cid, roles)
    return cid


async def award(client: httpx.AsyncClient, cid: str, user: str, points: float) -> None:
    response = await client.post(
        f"/v1/communities/{cid}/members/m-{user}/points",
        json={"delta": points, "reason": "seed"},
        headers=actor(ADMIN),
    )
    assert response.status_code == 200, response.text


async def points_of(client: httpx.AsyncClient, cid: str, user: str) -> tuple[float, int]:
    """The balance and level, read through a zero-sum award and take-back."""
    response = await client.get(
        f"/v1/communities/{cid}/members/m-{user}/engagement", headers=actor(ADMIN)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["points"], body["level"]


async def new_reward(client: httpx.AsyncClient, cid: str, **terms: Any) -> dict[str, Any]:
    body = {"name": "马克杯", "price": 100, "stock": 10, **terms}
    response = await client.post(f"/v1/communities/{cid}/rewards", json=body, headers=actor(ADMIN))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def reward(client: httpx.AsyncClient, cid: str, rid: str) -> dict[str, Any]:
    response = await client.get(f"/v1/communities/{cid}/rewards/{rid}", headers=actor(ALICE))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def redeem(
    client: httpx.AsyncClient, cid: str, rid: str, user: str = ALICE, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/communities/{cid}/rewards/{rid}/redemptions", json=body, headers=actor(user)
    )


async def outbox_events(event_type: str, cid: str) -> list[dict[str, Any]]:
    async with app().state.runtime.read_sessions() as session:
        table = messaging.outbox
        rows = (await session.execute(select(table.c.payload).order_by(table.c.seq))).scalars()
        found = [CloudEvent.model_validate_json(payload) for payload in rows.all()]
    return [e.data for e in found if e.type == event_type and e.data["community_id"] == cid]


async def test_a_member_redeems_a_reward_and_staff_cancel_it(api: httpx.AsyncClient) -> None:
    cid = await community()
    await award(api, cid, ALICE, 250)
    created = await new_reward(api, cid, per_member_limit=2)
    assert (created["price"], created["stock"], created["status"]) == (100.0, 10, "active")
    listed = await api.get(f"/v1/communities/{cid}/rewards", headers=actor(BOB))
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]

    first = await redeem(api, cid, created["id"])
    second = await redeem(api, cid, created["id"])
    assert [first.status_code, second.status_code] == [201, 201], first.text
    assert (first.json()["balance"], second.json()["balance"]) == (150.0, 50.0)
    assert first.json()["code"] != second.json()["code"]
    assert len(first.json()["code"]) == 12
    assert (await reward(api, cid, created["id"]))["stock"] == 8
    # Spending points never lowers a level: 250 earned reach level 4.
    assert await points_of(api, cid, ALICE) == (50.0, 4)

    own = await api.get(
        f"/v1/communities/{cid}/members/m-{ALICE}/redemptions", headers=actor(ALICE)
    )
    staff = await api.get(
        f"/v1/communities/{cid}/members/m-{ALICE}/redemptions", headers=actor(ADMIN)
    )
    other = await api.get(
        f"/v1/communities/{cid}/members/m-{ALICE}/redemptions", headers=actor(BOB)
    )
    assert [r["id"] for r in own.json()["items"]] == [first.json()["id"], second.json()["id"]]
    assert staff.json() == own.json()
    assert_problem(other, 403)

    cancel_url = f"/v1/communities/{cid}/redemptions/{first.json()['id']}/cancel"
    refused = await api.post(cancel_url, json={"reason": "no"}, headers=actor(ALICE))
    assert_problem(refused, 403)
    cancelled = await api.post(cancel_url, json={"reason": "缺货"}, headers=actor(ADMIN))
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["balance"]) == ("cancelled", 150.0)
    again = await api.post(cancel_url, json={"reason": "twice"}, headers=actor(ADMIN))
    assert_problem(again, 409)
    assert again.json()["type"].endswith("redemption-cancelled")
    # The stock and the member's limit take the item back; the refund raises no level.
    assert (await reward(api, cid, created["id"]))["stock"] == 9
    assert await points_of(api, cid, ALICE) == (150.0, 4)
    assert (await redeem(api, cid, created["id"])).status_code == 201

    redeemed = await outbox_events("reward.redeemed", cid)
    assert [(e["member_id"], e["points"], e["stock"]) for e in redeemed] == [
        (f"m-{ALICE}", 100.0, 9),
        (f"m-{ALICE}", 100.0, 8),
        (f"m-{ALICE}", 100.0, 8),
    ]
    cancels = await outbox_events("reward.cancelled", cid)
    assert [(e["redemption_id"], e["points"], e["balance"]) for e in cancels] == [
        (first.json()["id"], 100.0, 150.0)
    ]
    changes = [e["delta"] for e in await outbox_events("points.changed", cid)]
    assert changes == [250.0, -100.0, -100.0, 100.0, -100.0]
    # The replay folds the adjustments to the same points and level: the refund earned none.
    async with app().state.runtime.read_sessions() as session:
        stored = await replay_repository.stored_snapshot(session, cid)
        rebuilt = replay.fold_snapshot(await replay.rebuild_community(session, cid))
    assert replay.differences(stored, rebuilt) == []


async def test_100_concurrent_redemptions_of_a_stock_of_10_give_exactly_10(
    api: httpx.AsyncClient,
) -> None:
    users = [f"u{n:03d}" for n in range(100)]
    cid = await community(*users)
    for user in users:
        await award(api, cid, user, 5)
    created = await new_reward(api, cid, price=5, stock=10)
    answers = await asyncio.gather(*(redeem(api, cid, created["id"], user) for user in users))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 10 + [409] * 90
    assert {a.json()["type"].rsplit("/", 1)[-1] for a in answers if a.status_code == 409} == {
        "reward-out-of-stock"
    }
    codes = {a.json()["code"] for a in answers if a.status_code == 201}
    assert len(codes) == 10
    after = await reward(api, cid, created["id"])
    assert (after["stock"], after["redeemed"]) == (0, 10)
    # Only the ten who got an item paid for it.
    balances = [(await points_of(api, cid, user))[0] for user in users]
    assert sorted(balances) == [0.0] * 10 + [5.0] * 90


async def test_concurrent_redemptions_never_overdraw_a_balance(api: httpx.AsyncClient) -> None:
    cid = await community()
    await award(api, cid, ALICE, 30)
    created = await new_reward(api, cid, price=10, stock=100)
    answers = await asyncio.gather(*(redeem(api, cid, created["id"]) for _ in range(20)))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 17
    refused = {a.json()["type"].rsplit("/", 1)[-1] for a in answers if a.status_code == 409}
    assert refused == {"insufficient-points"}
    assert (await reward(api, cid, created["id"]))["stock"] == 97
    assert (await points_of(api, cid, ALICE))[0] == 0.0


async def test_each_kind_of_refused_redemption_debits_nothing(api: httpx.AsyncClient) -> None:
    cid = await community()
    await award(api, cid, ALICE, 100)
    now = datetime.now(UTC)
    pricey = await new_reward(api, cid, price=500)
    empty = await new_reward(api, cid, stock=0)
    once = await new_reward(api, cid, price=1, per_member_limit=1)
    gold = await new_reward(api, cid, price=1, tier_id="tier_gold")
    later = await new_reward(api, cid, price=1, starts_at=(now + timedelta(days=1)).isoformat())
    over = await new_reward(
        api,
        cid,
        price=1,
        starts_at=(now - timedelta(days=2)).isoformat(),
        ends_at=(now - timedelta(days=1)).isoformat(),
    )
    gone = await new_reward(api, cid, price=1)
    withdrawn = await api.delete(
        f"/v1/communities/{cid}/rewards/{gone['id']}", headers=actor(ADMIN)
    )
    assert withdrawn.status_code == 204
    assert (await redeem(api, cid, once["id"])).status_code == 201

    cases = [
        (pricey, 409, "insufficient-points", None),
        (empty, 409, "reward-out-of-stock", "stock"),
        (once, 409, "reward-limit-reached", "per_member_limit"),
        (gold, 403, "reward-tier-restricted", "tier_id"),
        (later, 409, "reward-not-available", "starts_at"),
        (over, 409, "reward-not-available", "ends_at"),
        (gone, 409, "reward-withdrawn", "status"),
    ]
    for item, status, slug, field in cases:
        answer = await redeem(api, cid, item["id"])
        body = assert_problem(answer, status, field=field)
        assert body["type"].endswith(slug), body
        assert (
            await api.get(f"/v1/communities/{cid}/rewards/{item['id']}", headers=actor(ADMIN))
        ).json()["stock"] == item["stock"] - (item is once)
    assert (await points_of(api, cid, ALICE))[0] == 99.0

    # A member of the tier may; a member redeeming for someone else may not; staff may.
    async with app().state.runtime.sessions() as session:
        table = membership.membership
        await session.execute(
            update(table)
            .where(table.c.community_id == cid, table.c.member_id == f"m-{BOB}")
            .values(tier_id="tier_gold")
        )
        await session.commit()
    await award(api, cid, BOB, 1)
    assert_problem(await redeem(api, cid, gold["id"], ALICE, member_id=f"m-{BOB}"), 403)
    for_bob = await redeem(api, cid, gold["id"], ADMIN, member_id=f"m-{BOB}")
    assert for_bob.status_code == 201, for_bob.text
    assert for_bob.json()["member_id"] == f"m-{BOB}"
    assert_problem(await redeem(api, cid, gold["id"], ADMIN, member_id="m-nobody"), 404)
    assert_problem(await redeem(api, cid, "rwd_nope"), 404)
    # The staff member has no points of their own to spend here.
    assert_problem(await redeem(api, cid, pricey["id"], ADMIN), 409)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "price": 1, "stock": 1}, "name"),
        ({"name": "x", "price": 0, "stock": 1}, "price"),
        ({"name": "x", "price": 0.0001, "stock": 1}, "price"),
        ({"name": "x", "price": 1, "stock": -1}, "stock"),
        ({"name": "x", "price": 1, "stock": 1, "per_member_limit": 0}, "per_member_limit"),
        ({"name": "x", "price": 1, "stock": 1, "starts_at": "2027-01-01T00:00:00"}, "starts_at"),
        ({"name": "x", "price": 1, "stock": 1, "colour": "red"}, "colour"),
        ({"name": "x", "price": 1, "stock": 1, "ends_at": "9999-12-31T23:00:00-05:00"}, "ends_at"),
        ({"name": "x", "price": 1e9, "stock": 1}, "price"),
    ],
)
async def test_a_malformed_reward_is_refused_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    cid = await community()
    answer = await api.post(f"/v1/communities/{cid}/rewards", json=body, headers=actor(ADMIN))
    assert_problem(answer, 422, field=field)


async def test_only_staff_stock_edit_and_withdraw_rewards(api: httpx.AsyncClient) -> None:
    cid = await community()
    body = {"name": "x", "price": 1, "stock": 1}
    assert_problem(
        await api.post(f"/v1/communities/{cid}/rewards", json=body, headers=actor(ALICE)), 403
    )
    assert_problem(
        await api.post(f"/v1/communities/{cid}/rewards", json=body, headers=actor("stranger")),
        404,
    )
    created = await new_reward(api, cid, starts_at="2027-01-01T00:00:00+08:00")
    url = f"/v1/communities/{cid}/rewards/{created['id']}"
    assert_problem(await api.patch(url, json={"stock": 5}, headers=actor(ALICE)), 403)
    edited = await api.patch(url, json={"stock": 5, "price": 80.5}, headers=actor(ADMIN))
    assert (edited.json()["stock"], edited.json()["price"]) == (5, 80.5)
    backwards = await api.patch(
        url, json={"ends_at": "2026-12-01T00:00:00+08:00"}, headers=actor(ADMIN)
    )
    assert_problem(backwards, 422, field="ends_at")
    assert_problem(await api.patch(url, json={"stock": None}, headers=actor(ADMIN)), 422)
    assert_problem(await api.delete(url, headers=actor(ALICE)), 403)
    assert (await api.delete(url, headers=actor(ADMIN))).status_code == 204
    listed = await api.get(f"/v1/communities/{cid}/rewards", headers=actor(ALICE))
    assert listed.json()["items"] == []
    everything = await api.get(
        f"/v1/communities/{cid}/rewards", params={"include_withdrawn": True}, headers=actor(ADMIN)
    )
    assert [item["status"] for item in everything.json()["items"]] == ["withdrawn"]
    assert_problem(await api.patch(url, json={"stock": 5}, headers=actor(ADMIN)), 409)


async def test_erasure_replaces_the_user_in_redemptions(api: httpx.AsyncClient) -> None:
    cid = await community()
    await award(api, cid, ALICE, 10)
    created = await new_reward(api, cid, price=5)
    first = await redeem(api, cid, created["id"])
    await redeem(api, cid, created["id"])
    cancelled = await api.post(
        f"/v1/communities/{cid}/redemptions/{first.json()['id']}/cancel",
        json={"reason": "Alice asked, phone 138…"},
        headers=actor(ADMIN),
    )
    assert cancelled.status_code == 200, cancelled.text
    async with app().state.runtime.sessions() as session:
        await erase_member(
            session=session,
            event=UserErased(
                community_id=cid, member_id=f"m-{ALICE}", user_id=ALICE, erased_at=datetime.now(UTC)
            ),
        )
        await session.commit()
    listed = await api.get(
        f"/v1/communities/{cid}/members/m-{ALICE}/redemptions", headers=actor(ADMIN)
    )
    items = listed.json()["items"]
    assert [item["redeemed_by"] for item in items] == [erased_user_id(f"m-{ALICE}")] * 2
    assert [item["cancel_reason"] for item in items] == ["", None]
    assert [item["cancelled_by"] for item in items] == [ADMIN, None]
    assert [item["points"] for item in items] == [5.0, 5.0]
