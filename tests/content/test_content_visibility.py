"""Issue 21 in the content service: drafts, items in review and rejected ones are their
author's and the editors' only; drafts can be deleted; series are listed, read, paused,
resumed and deleted; a muted member neither posts nor votes until the mute ends. On SQLite
and PostgreSQL, with the real broker."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from services.common.components import CONTENT
from services.content.tables import membership
from tests.content.test_content_workflow import SHANGHAI, act, create, seed
from tests.support import (
    actor,
    assert_problem,
    member_id_of,
    mute_in_projection,
    service_client,
)

client = service_client(
    CONTENT, prepare=seed, run_consumers=False, run_publisher=False, run_series_worker=False
)


async def listed(client: httpx.AsyncClient, user: str, **params: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/communities/{SHANGHAI}/content", params=params, headers=actor(user)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_unfinished_and_rejected_items_are_their_authors_and_the_editors(
    client: httpx.AsyncClient,
) -> None:
    draft = await create(client, by="writer")
    spam = await create(client, by="writer", body="加微信 领取优惠")
    rejected = await act(client, spam["id"], "submit", by="writer")
    assert rejected.json()["status"] == "rejected", rejected.text
    in_review = await create(client, by="writer")
    await act(client, in_review["id"], "submit", by="writer")
    private = {draft["id"], spam["id"], in_review["id"]}
    # The author and the editors see them all; another plain member sees none, whatever the
    # status filter asks for.
    assert private <= {item["id"] for item in await listed(client, "writer")}
    assert private <= {item["id"] for item in await listed(client, "editor")}
    assert private.isdisjoint({item["id"] for item in await listed(client, "reader")})
    for wanted in ("draft", "rejected", "in_review"):
        assert await listed(client, "reader", status=wanted) == []
        assert await listed(client, "writer", status=wanted) != []
    for content_id in private:
        assert_problem(await client.get(f"/v1/content/{content_id}", headers=actor("reader")), 404)
        own = await client.get(f"/v1/content/{content_id}", headers=actor("writer"))
        assert own.status_code == 200
    hits = (await client.get(f"/v1/content/{spam['id']}", headers=actor("editor"))).json()
    assert hits["screening"], hits
    # The reader's own draft is theirs to list.
    mine = await create(client, by="reader")
    assert [item["id"] for item in await listed(client, "reader", status="draft")] == [mine["id"]]


async def test_user_ids_on_content_are_for_staff_and_the_user(
    client: httpx.AsyncClient,
) -> None:
    story = await create(client, by="writer")
    await act(client, story["id"], "submit", by="writer")
    await act(client, story["id"], "approve", by="admin")
    published = await act(client, story["id"], "publish", by="admin")
    assert published.json()["status"] == "published", published.text
    url = f"/v1/content/{story['id']}"
    as_reader = (await client.get(url, headers=actor("reader"))).json()
    assert (as_reader["created_by"], as_reader["reviewed_by"]) == (None, None)
    assert as_reader["author_member_id"] == member_id_of("writer")
    as_writer = (await client.get(url, headers=actor("writer"))).json()
    assert (as_writer["created_by"], as_writer["reviewed_by"]) == ("writer", None)
    as_admin = (await client.get(url, headers=actor("admin"))).json()
    assert (as_admin["created_by"], as_admin["reviewed_by"]) == ("writer", "admin")
    for user, seen in (("reader", None), ("admin", "writer")):
        page = (await listed(client, user, status="published"))[0]
        assert page["created_by"] == seen
        calendar = await client.get(f"/v1/communities/{SHANGHAI}/calendar", headers=actor(user))
        assert {item["created_by"] for item in calendar.json()["items"]} == {seen}


async def test_authors_and_editors_delete_drafts(client: httpx.AsyncClient) -> None:
    draft = await create(client, by="writer")
    url = f"/v1/content/{draft['id']}"
    # Another member cannot even see it; a stranger neither.
    assert_problem(await client.delete(url, headers=actor("reader")), 404)
    assert_problem(await client.delete(url, headers=actor("stranger")), 404)
    assert (await client.delete(url, headers=actor("writer"))).status_code == 204
    assert_problem(await client.get(url, headers=actor("writer")), 404)
    assert_problem(await client.delete(url, headers=actor("writer")), 404)
    by_editor = await create(client, by="writer")
    deleted = await client.delete(f"/v1/content/{by_editor['id']}", headers=actor("editor"))
    assert deleted.status_code == 204
    submitted = await create(client, by="writer")
    await act(client, submitted["id"], "submit", by="writer")
    refused = assert_problem(
        await client.delete(f"/v1/content/{submitted['id']}", headers=actor("writer")), 409
    )
    assert refused["type"].endswith("/not-deletable")


async def test_series_are_listed_read_paused_resumed_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    created = await client.post(
        f"/v1/communities/{SHANGHAI}/series",
        json={
            "title": "早报",
            "kind": "brief",
            "rrule": "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
            "body_template": "{date}",
            "starts_at": f"{tomorrow.isoformat()}T08:00:00+08:00",
        },
        headers=actor("editor"),
    )
    assert created.status_code == 201, created.text
    series = created.json()
    made = series["materialized"]
    assert made > 0
    url = f"/v1/series/{series['id']}"

    async def occurrences() -> int:
        calendar = await client.get(
            f"/v1/communities/{SHANGHAI}/calendar", params={"limit": 100}, headers=actor("editor")
        )
        return sum(1 for item in calendar.json()["items"] if item["series_id"] == series["id"])

    read = await client.get(url, headers=actor("editor"))
    assert read.json()["id"] == series["id"]
    assert read.json()["paused_at"] is None
    page = await client.get(f"/v1/communities/{SHANGHAI}/series", headers=actor("editor"))
    assert [item["id"] for item in page.json()["items"]] == [series["id"]]
    assert_problem(await client.get(url, headers=actor("reader")), 403)
    assert_problem(await client.get(url, headers=actor("stranger")), 404)
    assert_problem(
        await client.get(f"/v1/communities/{SHANGHAI}/series", headers=actor("reader")), 403
    )
    # Pausing is the owner's and admins'; an editor who is neither may not.
    assert_problem(await client.post(f"{url}/pause", headers=actor("editor")), 403)
    paused = await client.post(f"{url}/pause", headers=actor("admin"))
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused_at"] is not None
    assert await occurrences() == 0
    again = await client.post(f"{url}/pause", headers=actor("admin"))
    assert again.json()["paused_at"] == paused.json()["paused_at"]
    resumed = await client.post(f"{url}/resume", headers=actor("admin"))
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["paused_at"] is None
    assert resumed.json()["materialized"] == await occurrences() > 0
    assert_problem(await client.delete(url, headers=actor("editor")), 403)
    assert (await client.delete(url, headers=actor("admin"))).status_code == 204
    assert await occurrences() == 0
    assert_problem(await client.get(url, headers=actor("editor")), 404)
    assert_problem(await client.post(f"{url}/resume", headers=actor("admin")), 404)


async def mute(app: FastAPI, user_id: str, until: datetime) -> None:
    await mute_in_projection(app, membership, SHANGHAI, user_id, until)


async def test_a_muted_member_neither_posts_nor_votes_until_the_mute_ends(
    client: httpx.AsyncClient,
) -> None:
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    poll = await create(
        client, by="editor", kind="poll", source="official", poll_options=["A", "B"]
    )
    await act(client, poll["id"], "submit")
    await act(client, poll["id"], "approve")
    assert (await act(client, poll["id"], "publish")).json()["status"] == "published"
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=24)
    await mute(app, "writer", until)
    posted = await client.post(
        f"/v1/communities/{SHANGHAI}/content",
        json={"kind": "user_story", "title": "t", "body": "b", "source": "member"},
        headers=actor("writer"),
    )
    problem = assert_problem(posted, 403)
    assert problem["type"].endswith("/member-muted")
    assert datetime.fromisoformat(problem["muted_until"]) == until
    vote = await client.post(
        f"/v1/content/{poll['id']}/votes",
        json={"member_id": member_id_of("writer"), "option": "A"},
        headers=actor("writer"),
    )
    assert assert_problem(vote, 403)["type"].endswith("/member-muted")
    # Reading stays theirs; once the mute has ended they post and vote again.
    assert (await client.get(f"/v1/content/{poll['id']}", headers=actor("writer"))).is_success
    await mute(app, "writer", datetime.now(UTC) - timedelta(seconds=1))
    assert (await create(client, by="writer"))["id"]
    vote = await client.post(
        f"/v1/content/{poll['id']}/votes",
        json={"member_id": member_id_of("writer"), "option": "A"},
        headers=actor("writer"),
    )
    assert vote.status_code == 201, vote.text
