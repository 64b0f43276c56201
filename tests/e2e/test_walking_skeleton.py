"""Through the gateway with a JWT, across Kafka, on real processes and a real database."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import System
from tests.support import assert_problem, eventually

pytestmark = pytest.mark.e2e


async def create_community(system: System, owner: str = "owner") -> str:
    response = await system.gateway.post(
        "/v1/communities", json={"name": "活力跑团 🏃"}, headers=system.auth(owner)
    )
    assert response.status_code == 201, response.text
    community_id: str = response.json()["id"]
    return community_id


async def join(system: System, community_id: str, user_id: str, display_name: str) -> str:
    response = await system.gateway.post(
        f"/v1/communities/{community_id}/members",
        json={"user_id": user_id, "display_name": display_name},
        headers=system.auth(user_id),
    )
    assert response.status_code == 201, response.text
    member_id: str = response.json()["id"]
    return member_id


FIRST_ACTIVITY_AT = datetime.fromisoformat("2026-11-22T08:00:00+08:00")


def activities(
    community_id: str, member_id: str, kind: str, count: int, tag: str
) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{tag}-{member_id}-{kind}-{n}",
            "community_id": community_id,
            "member_id": member_id,
            "type": kind,
            # A minute apart: scoring's cooldown credits a message at most once a minute.
            "occurred_at": (FIRST_ACTIVITY_AT + timedelta(seconds=61 * n)).isoformat(),
        }
        for n in range(count)
    ]


async def known_to_scoring(
    system: System, community_id: str, member_ids: list[str], *, owner: str = "owner"
) -> None:
    """Wait until scoring's membership projection knows these members: the members service
    announces them through the broker, a moment after it answered."""

    async def known() -> None:
        for member_id in member_ids:
            path = f"/v1/communities/{community_id}/members/{member_id}/engagement"
            response = await system.gateway.get(path, headers=system.auth(owner))
            assert response.status_code == 200, response.text

    await eventually(known, timeout=30)


async def leaderboard(system: System, community_id: str) -> list[dict[str, Any]]:
    response = await system.gateway.get(
        f"/v1/communities/{community_id}/leaderboard",
        params={"period": "all"},
        headers=system.auth("owner"),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_members_join_act_and_rank_through_the_gateway(system: System) -> None:
    community_id = await create_community(system)
    ming = await join(system, community_id, "u-ming", "小明")
    hong = await join(system, community_id, "u-hong", "小红 🌸")
    gang = await join(system, community_id, "u-gang", "Gang")
    await known_to_scoring(system, community_id, [ming, hong, gang])

    batch = (
        activities(community_id, hong, "share", 3, "e2e")  # 9 points
        + activities(community_id, ming, "reply", 2, "e2e")  # 4 points
        + activities(community_id, gang, "message", 1, "e2e")  # 1 point
    )
    # The owner reports activities (partners' API keys come later).
    posted = await system.gateway.post("/v1/activities", json=batch, headers=system.auth("owner"))
    assert posted.status_code == 202, posted.text
    assert posted.json() == {"accepted": 6, "duplicates": 0, "rejected": [], "pending": []}

    async def ranked_by_score() -> None:
        items = await leaderboard(system, community_id)
        assert [(i["rank"], i["member_id"], i["display_name"], i["score"]) for i in items] == [
            (1, hong, "小红 🌸", 9),
            (2, ming, "小明", 4),
            (3, gang, "Gang", 1),
        ]

    await eventually(ranked_by_score, timeout=30)

    again = await system.gateway.post("/v1/activities", json=batch, headers=system.auth("owner"))
    assert again.json() == {"accepted": 0, "duplicates": 6, "rejected": [], "pending": []}


async def test_the_gateway_answers_bad_input_with_problems(system: System) -> None:
    headers = system.auth("owner")
    assert_problem(await system.gateway.get("/v1/communities"), 401)
    assert_problem(
        await system.gateway.get(
            "/v1/communities", headers={"Authorization": "Bearer forged.token.x"}
        ),
        401,
    )
    malformed = await system.gateway.post(
        "/v1/communities", content=b"{", headers={**headers, "content-type": "application/json"}
    )
    assert_problem(malformed, 400)
    assert_problem(
        await system.gateway.post("/v1/communities", json={}, headers=headers), 422, field="name"
    )
    assert_problem(await system.gateway.get("/v1/communities/cmty_missing", headers=headers), 404)
    community_id = await create_community(system)
    await join(system, community_id, "u-dup", "Dup")
    duplicate = await system.gateway.post(
        f"/v1/communities/{community_id}/members",
        json={"user_id": "u-dup", "display_name": "Dup"},
        headers=system.auth("u-dup"),
    )
    assert_problem(duplicate, 409)
    oversized = await system.gateway.post(
        "/v1/activities",
        content=b"[" + b" " * 3_000_000 + b"]",
        headers={**headers, "content-type": "application/json"},
    )
    assert_problem(oversized, 413)


async def test_every_response_carries_a_request_id(system: System) -> None:
    response = await system.gateway.get(
        "/v1/communities", headers={**system.auth("owner"), "X-Request-ID": "trace-e2e-1"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-e2e-1"
    minted = await system.gateway.get("/v1/communities", headers=system.auth("owner"))
    assert len(minted.headers["x-request-id"]) >= 16


async def test_the_merged_openapi_document_covers_every_service(system: System) -> None:
    document = (await system.gateway.get("/openapi.json")).json()
    paths = set(document["paths"])
    assert {
        "/v1/communities",
        "/v1/communities/{community_id}/members",
        "/v1/activities",
        "/v1/communities/{community_id}/leaderboard",
    } <= paths
    assert any(path.startswith("/v1/content") for path in paths)
    assert any(path.startswith("/v1/events") for path in paths)
    # Errors are documented as what they are: problem+json, one shared schema.
    schemas = document["components"]["schemas"]
    assert "Problem" in schemas
    assert "HTTPValidationError" not in schemas
    create = document["paths"]["/v1/communities"]["post"]["responses"]
    assert "application/problem+json" in create["422"]["content"]
    assert "bearerAuth" in document["components"]["securitySchemes"]
    docs = await system.gateway.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
