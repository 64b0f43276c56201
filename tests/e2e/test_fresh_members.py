"""No activity lost to a lagging projection, through the gateway on real processes: a partner
posting right after a community is created and someone joins loses nothing; scoring holds what
it does not know yet (`pending`) and scores it once the membership arrives."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import System
from tests.support import eventually

pytestmark = pytest.mark.e2e


async def test_create_join_and_post_at_once_every_item_is_scored(system: System) -> None:
    owner = system.auth("fresh-owner")
    created = await system.gateway.post("/v1/communities", json={"name": "新群 🌱"}, headers=owner)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    joined = await system.gateway.post(
        f"/v1/communities/{cid}/members",
        json={"user_id": "fresh-newcomer", "display_name": "新人"},
        headers=system.auth("fresh-newcomer"),
    )
    assert joined.status_code == 201, joined.text
    member_id = joined.json()["id"]
    start = datetime.now(UTC) - timedelta(minutes=30)
    batch: list[dict[str, Any]] = [
        {
            "id": f"fresh-{n}",
            "community_id": cid,
            "member_id": member_id,
            "type": "reply",
            # Over a minute apart: no cooldown in the way, each earns 2 points.
            "occurred_at": (start + timedelta(minutes=2 * n)).isoformat(),
        }
        for n in range(5)
    ]
    # At once: scoring has most likely not heard of the community yet.
    posted = await system.gateway.post("/v1/activities", json=batch, headers=owner)
    assert posted.status_code == 202, posted.text
    answer = posted.json()
    assert answer["rejected"] == []
    assert answer["accepted"] + len(answer["pending"]) == 5
    assert {item["reason"] for item in answer["pending"]} <= {
        "unknown_community",
        "unknown_member",
    }

    async def scored() -> None:
        response = await system.gateway.get(
            f"/v1/communities/{cid}/members/{member_id}/engagement", headers=owner
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["activity_count"], body["all_time_points"]) == (5, 10.0)

    await eventually(scored, timeout=30)
    again = await system.gateway.post("/v1/activities", json=batch, headers=owner)
    assert again.json() == {"accepted": 0, "duplicates": 5, "rejected": [], "pending": []}
