"""The points mall and badges operators define, through the gateway on real processes and
both databases: members the members service announced redeem points they were awarded, a
stock of one goes to exactly one of two concurrent redeemers, staff cancel and badges are
awarded by hand."""

import asyncio

import pytest

from tests.e2e.conftest import System
from tests.e2e.test_walking_skeleton import create_community, join, known_to_scoring
from tests.support import assert_problem

pytestmark = pytest.mark.e2e


async def test_members_redeem_rewards_and_get_badges_through_the_gateway(system: System) -> None:
    cid = await create_community(system, owner="mall-owner")
    owner = system.auth("mall-owner")
    ming = await join(system, cid, "mall-ming", "小明")
    hong = await join(system, cid, "mall-hong", "小红")
    await known_to_scoring(system, cid, [ming, hong], owner="mall-owner")
    for member in (ming, hong):
        awarded = await system.gateway.post(
            f"/v1/communities/{cid}/members/{member}/points",
            json={"delta": 30, "reason": "welcome"},
            headers=owner,
        )
        assert awarded.status_code == 200, awarded.text

    created = await system.gateway.post(
        f"/v1/communities/{cid}/rewards",
        json={"name": "限量徽章贴纸", "price": 20, "stock": 1},
        headers=owner,
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    url = f"/v1/communities/{cid}/rewards/{rid}/redemptions"
    answers = await asyncio.gather(
        system.gateway.post(url, json={}, headers=system.auth("mall-ming")),
        system.gateway.post(url, json={}, headers=system.auth("mall-hong")),
    )
    assert sorted(answer.status_code for answer in answers) == [201, 409]
    won = next(answer for answer in answers if answer.status_code == 201).json()
    lost = next(answer for answer in answers if answer.status_code == 409)
    assert assert_problem(lost, 409, field="stock")["type"].endswith("reward-out-of-stock")
    assert won["balance"] == 10.0
    winner = "mall-ming" if won["member_id"] == ming else "mall-hong"

    own = await system.gateway.get(
        f"/v1/communities/{cid}/members/{won['member_id']}/redemptions",
        headers=system.auth(winner),
    )
    assert [item["code"] for item in own.json()["items"]] == [won["code"]]
    cancelled = await system.gateway.post(
        f"/v1/communities/{cid}/redemptions/{won['id']}/cancel",
        json={"reason": "换成别的"},
        headers=owner,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["balance"] == 30.0
    reward = await system.gateway.get(
        f"/v1/communities/{cid}/rewards/{rid}", headers=system.auth(winner)
    )
    assert (reward.json()["stock"], reward.json()["redeemed"]) == (1, 0)

    badge = await system.gateway.post(
        f"/v1/communities/{cid}/badges", json={"name": "早期成员"}, headers=owner
    )
    assert badge.status_code == 201, badge.text
    given = await system.gateway.put(
        f"/v1/communities/{cid}/members/{hong}/badges/{badge.json()['id']}", headers=owner
    )
    assert given.status_code == 200, given.text
    engagement = await system.gateway.get(
        f"/v1/communities/{cid}/members/{hong}/engagement", headers=owner
    )
    assert engagement.json()["badges"] == [badge.json()["id"]]
