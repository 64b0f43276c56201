"""Coupon batches in-process, on SQLite and PostgreSQL: 100 concurrent redemptions of a reward
backed by 10 codes hand out each code exactly once, the stock is the codes left, and bad
batches are refused naming the field with nothing stored."""

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from services.scoring.tables import coupon_table
from tests.scoring.test_rewards import (
    ADMIN,
    api,
    app,
    award,
    community,
    new_reward,
    points_of,
    redeem,
    reward,
)
from tests.support import actor, assert_problem

__all__ = ["api"]


async def add_batch(client: httpx.AsyncClient, cid: str, rid: str, body: Any) -> httpx.Response:
    return await client.post(
        f"/v1/communities/{cid}/rewards/{rid}/coupon-batches", json=body, headers=actor(ADMIN)
    )


async def coupons_stored(rid: str) -> int:
    async with app().state.runtime.read_sessions() as session:
        query = (
            select(func.count()).select_from(coupon_table).where(coupon_table.c.reward_id == rid)
        )
        return int((await session.execute(query)).scalar_one())


async def test_100_concurrent_redemptions_of_10_codes_hand_each_out_once(
    api: httpx.AsyncClient,
) -> None:
    users = [f"c{n:03d}" for n in range(100)]
    cid = await community(*users)
    for user in users:
        await award(api, cid, user, 5)
    created = await new_reward(api, cid, price=5, stock=0)
    imported = await add_batch(api, cid, created["id"], {"codes": [f"SHOP-{n}" for n in range(6)]})
    generated = await add_batch(api, cid, created["id"], {"generate": 4})
    assert (imported.status_code, generated.status_code) == (201, 201)
    codes = {f"SHOP-{n}" for n in range(6)} | {c["code"] for c in generated.json()["codes"]}
    assert (await reward(api, cid, created["id"]))["stock"] == 10

    answers = await asyncio.gather(*(redeem(api, cid, created["id"], user) for user in users))
    assert sorted(answer.status_code for answer in answers) == [201] * 10 + [409] * 90
    handed = [answer.json()["coupon_code"] for answer in answers if answer.status_code == 201]
    assert sorted(handed) == sorted(codes)
    after = await reward(api, cid, created["id"])
    assert (after["stock"], after["redeemed"]) == (0, 10)
    balances = [(await points_of(api, cid, user))[0] for user in users]
    assert sorted(balances) == [0.0] * 10 + [5.0] * 90


async def test_a_bad_batch_is_refused_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient,
) -> None:
    cid = await community()
    created = await new_reward(api, cid, price=5, stock=0)
    rid = created["id"]
    for body, field in (
        ({"codes": ["with space"]}, 0),
        ({"codes": ["tab\there"]}, 0),
        ({"codes": ["中文"]}, 0),
        ({"codes": [""]}, 0),
        ({"codes": ["y" * 65]}, 0),
        ({"codes": []}, "codes"),
        ({"codes": "ABC"}, "codes"),
        ({"generate": 10_001}, "generate"),
        ({"generate": "5"}, "generate"),
        ({"generate": 2, "codes": ["A"]}, "codes"),
        ({"generate": 2, "extra": 1}, "extra"),
    ):
        assert_problem(await add_batch(api, cid, rid, body), 422, field=field)  # type: ignore[arg-type]
    assert await coupons_stored(rid) == 0
    assert (await reward(api, cid, rid))["stock"] == 0
    missing = await add_batch(api, cid, "rwd_nope", {"generate": 1})
    assert assert_problem(missing, 404)["type"].endswith("reward-not-found")
    # A member is no operator.
    member = await api.post(
        f"/v1/communities/{cid}/rewards/{rid}/coupon-batches",
        json={"generate": 1},
        headers=actor("alice"),
    )
    assert member.status_code == 403
