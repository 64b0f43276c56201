"""Lists operators ask for: the members of a segment and the KOLs, paginated, with score,
points and last activity; owners and admins only."""

from typing import Any

import httpx

from services.common.components import SCORING
from tests.scoring.test_scoring_api import (
    CONSUMER_TIMEOUT,
    READER,
    WRITER,
    Community,
    activity,
    community,
    remember,
)
from tests.support import actor, assert_problem, eventually, service_client

client = service_client(SCORING, prepare=remember, run_consumers=True)
__all__ = ["community"]  # the fixture, used by name


async def listed(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=actor(WRITER))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_segment_members_and_kols_page_by_page(
    client: httpx.AsyncClient, community: Community
) -> None:
    fans = [f"fan{n}" for n in range(26)]
    cid = await community("kol", "quiet", *fans)
    # 26 replies to kol: 52 KOL points (a reply received weighs 2), past the threshold of 50.
    batch = [activity(cid, f"m-{fan}", "reply", target_member_id="m-kol") for fan in fans]
    batch.append(activity(cid, "m-kol", "share"))
    posted = await client.post("/v1/activities", json=batch, headers=actor(WRITER))
    assert posted.json()["accepted"] == len(batch)

    async def engagement(member: str) -> dict[str, Any]:
        response = await client.get(
            f"/v1/communities/{cid}/members/m-{member}/engagement", headers=actor(WRITER)
        )
        body: dict[str, Any] = response.json()
        return body

    async def kol_counted() -> None:
        assert (await engagement("kol"))["kol"] is True

    await eventually(kol_counted, timeout=CONSUMER_TIMEOUT)
    kols = await listed(client, f"/v1/communities/{cid}/kols")
    [kol] = kols["items"]
    expected = await engagement("kol")
    assert (kol["member_id"], kol["kol_points"], kol["points"]) == ("m-kol", 52, expected["points"])
    assert kol["score"] > 0 and kol["last_active_at"] is not None
    # Every member in the segment scoring gives them, each once across the pages.
    segment = expected["segment"]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 5} | ({"cursor": cursor} if cursor else {})
        page = await listed(client, f"/v1/communities/{cid}/segments/{segment}/members", **params)
        seen += [item["member_id"] for item in page["items"]]
        assert all(item["segment"] == segment for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert "m-kol" in seen and len(seen) == len(set(seen)) and seen == sorted(seen)
    quiet_segment = (await engagement("quiet"))["segment"]
    quiet = await listed(client, f"/v1/communities/{cid}/segments/{quiet_segment}/members")
    assert "m-quiet" in {item["member_id"] for item in quiet["items"]}
    # Bad input, and who may ask:
    assert_problem(
        await client.get(f"/v1/communities/{cid}/segments/lurkers/members", headers=actor(WRITER)),
        422,
        field="segment",
    )
    assert_problem(
        await client.get(f"/v1/communities/{cid}/kols", params={"limit": 0}, headers=actor(WRITER)),
        422,
        field="limit",
    )
    assert_problem(
        await client.get(
            f"/v1/communities/{cid}/kols", params={"cursor": "garbage"}, headers=actor(WRITER)
        ),
        422,
        field="cursor",
    )
    assert_problem(await client.get(f"/v1/communities/{cid}/kols", headers=actor(READER)), 403)
    assert_problem(await client.get(f"/v1/communities/{cid}/kols", headers=actor("nobody")), 404)
