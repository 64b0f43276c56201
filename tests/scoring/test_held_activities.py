"""No activity lost to a lagging projection: items for a community or member scoring's membership
projection does not know yet are answered `pending`, held, and recorded once it does; after the
hold they are refused with a reason and `activity.refused`. A community created and a member
joined a moment ago, posted for at once, lose nothing."""

from typing import Any

import httpx
from sqlalchemy import func, select

from services.common.components import SCORING
from services.scoring.tables import held_table, membership, messaging, receipt_table
from tests.scoring.test_scoring_api import WRITER, activity, new_community
from tests.support import actor, eventually, seed_membership, service_client

# Held items are looked at every 0.1 s and refused after 3 s.
api = service_client(SCORING, run_consumers=False, hold_seconds=3, hold_poll_seconds=0.1)


def app_of(client: httpx.AsyncClient) -> Any:
    return client._transport.app  # type: ignore[attr-defined]


async def count(client: httpx.AsyncClient, query: Any) -> int:
    async with app_of(client).state.runtime.sessions() as session:
        return int((await session.execute(query)).scalar_one())


async def test_items_for_a_community_and_member_scoring_learns_of_later_are_recorded(
    api: httpx.AsyncClient,
) -> None:
    cid = new_community()
    # Posted before scoring hears of the community (the members service created it a moment
    # ago), then for a member who has just joined.
    early = [activity(cid, "m-bob", "message"), activity(cid, "m-bob", "reply")]
    posted = await api.post("/v1/activities", json=early, headers=actor(WRITER))
    assert posted.status_code == 202, posted.text
    assert posted.json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [],
        "pending": [
            {"index": 0, "id": early[0]["id"], "reason": "unknown_community"},
            {"index": 1, "id": early[1]["id"], "reason": "unknown_community"},
        ],
    }
    # Posted again while held: still pending, held once.
    again = await api.post("/v1/activities", json=early[:1], headers=actor(WRITER))
    assert [item["reason"] for item in again.json()["pending"]] == ["unknown_community"]
    await seed_membership(app_of(api), membership, cid, {WRITER: "admin"})
    newcomer = [activity(cid, "m-bob", "share"), activity(cid, "m-owner", "message")]
    posted = await api.post("/v1/activities", json=newcomer, headers=actor(WRITER))
    assert (posted.json()["accepted"], posted.json()["pending"]) == (
        1,
        [{"index": 0, "id": newcomer[0]["id"], "reason": "unknown_member"}],
    )
    await seed_membership(app_of(api), membership, cid, {WRITER: "admin", "bob": "member"})

    async def all_recorded() -> None:
        held = select(func.count()).select_from(held_table).where(held_table.c.community_id == cid)
        assert await count(api, held) == 0
        receipts = (
            select(func.count())
            .select_from(receipt_table)
            .where(receipt_table.c.community_id == cid)
        )
        assert await count(api, receipts) == 4
        outbox = messaging.outbox
        recorded = select(func.count()).where(
            outbox.c.message_key == cid, outbox.c.payload.contains('"activity.recorded"')
        )
        assert await count(api, recorded) == 4

    await eventually(all_recorded, timeout=10)
    # Recorded once: the same ids again are duplicates.
    replay = await api.post("/v1/activities", json=early + newcomer, headers=actor(WRITER))
    assert replay.json() == {"accepted": 0, "duplicates": 4, "rejected": [], "pending": []}


async def test_items_still_unknown_after_the_hold_are_refused_with_an_event(
    api: httpx.AsyncClient,
) -> None:
    cid, known = new_community(), new_community()
    await seed_membership(app_of(api), membership, known, {WRITER: "admin"})
    batch = [
        activity(cid, "m-bob", "message"),  # a community that never comes
        activity(known, "m-ghost", "message"),  # a member who never joins
        activity(cid, "m-bob", "teleport"),  # no membership mends an unknown type: at once
    ]
    posted = await api.post("/v1/activities", json=batch, headers=actor(WRITER))
    assert posted.json()["rejected"] == [
        {"index": 2, "id": batch[2]["id"], "reason": "unknown_type"}
    ]
    assert [item["reason"] for item in posted.json()["pending"]] == [
        "unknown_community",
        "unknown_member",
    ]
    outbox = messaging.outbox

    async def refused() -> None:
        held = select(func.count()).select_from(held_table)
        assert await count(api, held) == 0
        async with app_of(api).state.runtime.sessions() as session:
            rows = (
                await session.execute(
                    select(outbox.c.payload).where(outbox.c.payload.contains('"activity.refused"'))
                )
            ).scalars()
            payloads = [str(row) for row in rows]
        assert len(payloads) == 2
        assert any(batch[0]["id"] in p and "unknown_community" in p for p in payloads)
        assert any(batch[1]["id"] in p and "unknown_member" in p for p in payloads)

    await eventually(refused, timeout=15)
    receipts = (
        select(func.count())
        .select_from(receipt_table)
        .where(receipt_table.c.community_id.in_([cid, known]))
    )
    assert await count(api, receipts) == 0
