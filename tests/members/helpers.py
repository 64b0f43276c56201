"""Calls the members tests share."""

from typing import Any

import httpx

from tests.support import actor


async def create_community(client: httpx.AsyncClient, **fields: object) -> dict[str, Any]:
    response = await client.post(
        "/v1/communities", json={"name": "读书会 📚 Reading club", **fields}, headers=actor("owner")
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def join(
    client: httpx.AsyncClient,
    community_id: str,
    user_id: str,
    *,
    by: str | None = None,
    **fields: object,
) -> httpx.Response:
    """`user_id` joins (or is added by `by`)."""
    return await client.post(
        f"/v1/communities/{community_id}/members",
        json={"user_id": user_id, "display_name": user_id, **fields},
        headers=actor(by or user_id),
    )


async def tiers_of(client: httpx.AsyncClient, community_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/communities/{community_id}/tiers", headers=actor("owner"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
