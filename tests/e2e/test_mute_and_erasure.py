"""Issue 21 through the gateway, on the real processes: a mute the members service gives reaches
content and events (the membership projection follows `member.sanctioned`) and keeps the member
from posting and registering until it ends; erasure ends every membership: the member has left,
their seat is free, they are off the leaderboard, and their scheduled post is withdrawn. And
members are filtered by the engagement segment scoring gives them."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import System
from tests.e2e.test_access_matrix import EVENT
from tests.support import eventually

pytestmark = pytest.mark.e2e


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def community_with(system: System, owner: str, user: str) -> tuple[str, str]:
    """A new community of `owner` that `user` joined, once content, events and scoring know
    the member; returns (community id, member id)."""
    created = await system.gateway.post(
        "/v1/communities", json={"name": "禁言 Mute"}, headers=system.auth(owner)
    )
    cid = created.json()["id"]
    joined = await system.gateway.post(
        f"/v1/communities/{cid}/members",
        json={"user_id": user, "display_name": user},
        headers=system.auth(user),
    )
    assert joined.status_code == 201, joined.text

    async def known_everywhere() -> None:
        for path in ("content", "events", "leaderboard"):
            seen = await system.gateway.get(
                f"/v1/communities/{cid}/{path}", headers=system.auth(user)
            )
            assert seen.status_code == 200, seen.text

    await eventually(known_everywhere, timeout=30)
    member_id: str = joined.json()["id"]
    return cid, member_id


async def test_a_mute_keeps_a_member_from_posting_and_registering_until_it_ends(
    system: System,
) -> None:
    owner, user = fresh("owner"), fresh("mia")
    cid, mid = await community_with(system, owner, user)
    event = await system.gateway.post(
        f"/v1/communities/{cid}/events", json=EVENT, headers=system.auth(owner)
    )
    event_id = event.json()["id"]
    await system.gateway.post(f"/v1/events/{event_id}/publish", headers=system.auth(owner))
    muted = await system.gateway.post(
        f"/v1/communities/{cid}/members/{mid}/sanctions",
        json={"kind": "mute", "reason": "刷屏 spam", "duration_hours": 2},
        headers=system.auth(owner),
    )
    assert muted.status_code == 201, muted.text
    until = datetime.fromisoformat(muted.json()["member"]["muted_until"])
    post = {"kind": "user_story", "title": "t", "body": "b", "source": "member"}

    async def refused_everywhere() -> None:
        answers = [
            await system.gateway.post(
                f"/v1/communities/{cid}/content", json=post, headers=system.auth(user)
            ),
            await system.gateway.post(
                f"/v1/events/{event_id}/registrations",
                json={"member_id": mid},
                headers=system.auth(user),
            ),
        ]
        for answer in answers:
            assert answer.status_code == 403, answer.text
            problem = answer.json()
            assert problem["type"].endswith("/member-muted")
            assert datetime.fromisoformat(problem["muted_until"]) == until

    await eventually(refused_everywhere, timeout=30)
    # Reading is still theirs.
    read = await system.gateway.get(f"/v1/communities/{cid}/content", headers=system.auth(user))
    assert read.status_code == 200


async def seat_count(system: System, cid: str, owner: str) -> int:
    tiers = await system.gateway.get(f"/v1/communities/{cid}/tiers", headers=system.auth(owner))
    return sum(tier["member_count"] for tier in tiers.json()["items"])


async def test_erasure_ends_every_membership(system: System) -> None:
    owner, user = fresh("owner"), fresh("zed")
    cid, mid = await community_with(system, owner, user)
    as_owner, as_user = system.auth(owner), system.auth(user)
    assert await seat_count(system, cid, owner) == 2

    # On the board: activity the owner pushes for them.
    activity = {
        "id": fresh("act"),
        "community_id": cid,
        "member_id": mid,
        "type": "share",
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    pushed = await system.gateway.post("/v1/activities", json=[activity], headers=as_owner)
    assert pushed.json()["accepted"] == 1, pushed.text

    async def board_ids() -> list[str]:
        board = await system.gateway.get(f"/v1/communities/{cid}/leaderboard", headers=as_owner)
        assert board.status_code == 200, board.text
        return [item["member_id"] for item in board.json()["items"]]

    async def on_board() -> None:
        assert mid in await board_ids()

    await eventually(on_board, timeout=30)

    # Scoring placed them in a segment (segment.changed), which members filters by: a member
    # who joined minutes ago is a newcomer whatever they did (issue 23), as is the owner, who
    # joined when creating the community.
    async def in_segment() -> None:
        found = await system.gateway.get(
            f"/v1/communities/{cid}/members", params={"segment": "newcomer"}, headers=as_owner
        )
        items = found.json()["items"]
        assert [item["id"] for item in items if item["role"] != "owner"] == [mid], found.text

    await eventually(in_segment, timeout=30)
    unknown = await system.gateway.get(
        f"/v1/communities/{cid}/members", params={"segment": "vip"}, headers=as_owner
    )
    assert unknown.status_code == 422
    # Their post, approved and scheduled by the owner.
    created = await system.gateway.post(
        f"/v1/communities/{cid}/content",
        json={"kind": "user_story", "title": "我的故事", "body": "读书", "source": "member"},
        headers=as_user,
    )
    content_id = created.json()["id"]
    for action, by in (("submit", as_user), ("approve", as_owner), ("schedule", as_owner)):
        moved = await system.gateway.post(f"/v1/content/{content_id}/{action}", headers=by)
        assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "scheduled"

    erased = await system.gateway.delete(f"/v1/users/{user}/personal-data", headers=as_user)
    assert erased.status_code == 202, erased.text
    member = await system.gateway.get(f"/v1/communities/{cid}/members/{mid}", headers=as_owner)
    assert (member.json()["status"], member.json()["display_name"]) == ("left", "已注销用户")
    assert await seat_count(system, cid, owner) == 1

    async def gone_everywhere() -> None:
        assert mid not in await board_ids()
        item: dict[str, Any] = (
            await system.gateway.get(f"/v1/content/{content_id}", headers=as_owner)
        ).json()
        assert item["status"] == "withdrawn", item
        assert item["author_erased"] is True

    await eventually(gone_everywhere, timeout=30)
    # Their history stays, anonymous: the item is there for editors, and nobody else sees it.
    other = system.auth(fresh("other"))
    answer: httpx.Response = await system.gateway.get(f"/v1/content/{content_id}", headers=other)
    assert answer.status_code == 404
