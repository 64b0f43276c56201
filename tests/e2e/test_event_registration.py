"""Registration through the gateway on real processes: fifty members register at once for ten
seats, and exactly ten get one; the other forty queue in the order they arrived."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import System
from tests.support import eventually

pytestmark = pytest.mark.e2e

RACERS = 50
SEATS = 10


def soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def test_fifty_concurrent_registrations_for_ten_seats(system: System) -> None:
    gateway, owner = system.gateway, system.auth("reg-owner")
    created = await gateway.post("/v1/communities", json={"name": "抢座 🎟️"}, headers=owner)
    community_id = created.json()["id"]
    users = [f"racer-{index:02d}" for index in range(RACERS)]

    async def join(user: str) -> str:
        joined = await gateway.post(
            f"/v1/communities/{community_id}/members",
            json={"user_id": user, "display_name": user},
            headers=system.auth(user),
        )
        assert joined.status_code == 201, joined.text
        member_id: str = joined.json()["id"]
        return member_id

    member_ids = [await join(user) for user in users]

    async def events_knows_everyone() -> None:
        # One community's events keep their order on one partition: the last join arriving
        # means every earlier one did.
        path = f"/v1/communities/{community_id}/events"
        response = await gateway.get(path, headers=system.auth(users[-1]))
        assert response.status_code == 200, response.text

    await eventually(events_knows_everyone, timeout=30)
    event = await gateway.post(
        f"/v1/communities/{community_id}/events",
        json={
            "title": "限量工作坊",
            "kind": "knowledge_share",
            "format": "offline",
            "location": "北京",
            "starts_at": soon(days=3),
            "ends_at": soon(days=3, hours=2),
            "capacity": SEATS,
        },
        headers=owner,
    )
    event_id = event.json()["id"]
    published = await gateway.post(f"/v1/events/{event_id}/publish", headers=owner)
    assert published.status_code == 200, published.text

    path = f"/v1/events/{event_id}/registrations"
    answers = await asyncio.gather(
        *(
            gateway.post(path, json={"member_id": member_id}, headers=system.auth(user))
            for user, member_id in zip(users, member_ids, strict=True)
        )
    )
    assert [answer.status_code for answer in answers] == [201] * RACERS, [
        answer.text for answer in answers if answer.status_code != 201
    ]
    statuses = [answer.json()["status"] for answer in answers]
    assert statuses.count("confirmed") == SEATS
    assert statuses.count("waitlisted") == RACERS - SEATS
    positions = sorted(
        answer.json()["waitlist_position"]
        for answer in answers
        if answer.json()["status"] == "waitlisted"
    )
    assert positions == list(range(1, RACERS - SEATS + 1))

    listed = await gateway.get(path, params={"limit": 200}, headers=owner)
    items = listed.json()["items"]
    assert [item["status"] for item in items] == ["confirmed"] * SEATS + ["waitlisted"] * (
        RACERS - SEATS
    )
    answered = {answer.json()["id"]: answer.json() for answer in answers}
    assert [answered[item["id"]]["waitlist_position"] for item in items[SEATS:]] == list(
        range(1, RACERS - SEATS + 1)
    )

    # A seat freed goes to the first in line.
    first_confirmed = items[0]
    first_waiting = items[SEATS]
    owner_of_seat = users[member_ids.index(first_confirmed["member_id"])]
    freed = await gateway.delete(
        f"{path}/{first_confirmed['id']}", headers=system.auth(owner_of_seat)
    )
    assert freed.status_code == 200, freed.text
    after = {item["id"]: item for item in (await gateway.get(path, headers=owner)).json()["items"]}
    assert after[first_waiting["id"]]["status"] == "confirmed"
    report = await gateway.get(f"/v1/events/{event_id}/report", headers=owner)
    assert report.status_code == 200, report.text
    assert (report.json()["registered"], report.json()["waitlisted"]) == (SEATS, RACERS - SEATS - 1)
