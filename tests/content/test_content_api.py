"""The content service in-process, on SQLite and PostgreSQL, with the real broker."""

from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from services.common.components import CONTENT
from services.common.pagination import encode_cursor
from services.content.tables import membership
from tests.support import (
    actor,
    assert_problem,
    member_id_of,
    published_record,
    seed_membership,
    service_client,
)

COMMUNITY = "cmty_01JDREADINGCLUB000000000"
# Exactly the 50 000-character limit, mixing CJK, astral-plane emoji and ASCII.
LONG_BODY = ("今天的早报 🌅 Morning brief. " * 3_000)[:49_999] + "🎉"


async def seed(app: FastAPI) -> None:
    """The membership projection as the members service would have announced it (the consumer
    is tested in tests/common/test_membership.py): alice, recorder and reader are members of
    COMMUNITY, recorder of cmty_other too, and neighbour owns a community of their own."""
    members = {"alice": "member", "recorder": "recorder", "reader": "member"}
    await seed_membership(app, membership, COMMUNITY, members)
    await seed_membership(app, membership, "cmty_other", {"recorder": "recorder"})
    await seed_membership(app, membership, "cmty_neighbours", owner="neighbour")


client = service_client(CONTENT, prepare=seed, run_consumers=False)


def content_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "article",
        "title": "社群运营手册 📘 Operating handbook",
        # Full-width punctuation is the point: Chinese text must round-trip unchanged.
        "body": "第一章：如何让社群保持活力 🔥\n\n  Keep it alive.",  # noqa: RUF001
        "source": "official",
        **overrides,
    }


async def create_content(
    client: httpx.AsyncClient, community_id: str = COMMUNITY, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/communities/{community_id}/content",
        json=content_fields(**overrides),
        headers=actor("recorder"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_and_get_round_trip_text_exactly(client: httpx.AsyncClient) -> None:
    assert len(LONG_BODY) == 50_000
    created = await create_content(
        client,
        kind="user_story",
        title="我的社群故事 ✨🙌 My story",
        body=LONG_BODY,
        tags=["故事", "🎉 celebration"],
        source="member",
        author_member_id=member_id_of("alice"),
        tier_ids=["tier_core"],
    )
    assert created["id"].startswith("cnt_")
    assert created["status"] == "draft"
    assert created["community_id"] == COMMUNITY
    assert created["created_by"] == "recorder"
    assert created["body"] == LONG_BODY
    assert created["title"] == "我的社群故事 ✨🙌 My story"
    assert created["tags"] == ["故事", "🎉 celebration"]
    assert created["tier_ids"] == ["tier_core"]
    assert created["author_member_id"] == member_id_of("alice")
    assert created["created_at"].endswith("Z") or created["created_at"].endswith("+00:00")

    # A draft: its author reads it back (another plain member would not find it), without the
    # recorder's user id, which is for staff.
    fetched = await client.get(f"/v1/content/{created['id']}", headers=actor("alice"))
    assert fetched.status_code == 200
    assert fetched.json() == {**created, "created_by": None, "created_by_user_id": None}


async def test_optional_fields_default_to_empty(client: httpx.AsyncClient) -> None:
    created = await create_content(client)
    assert created["tags"] == []
    assert created["tier_ids"] == []
    assert created["author_member_id"] is None
    # The body keeps its leading and trailing whitespace: it may be formatting.
    assert created["body"] == content_fields()["body"]


async def test_content_created_is_published_with_the_envelope(
    client: httpx.AsyncClient, broker: str
) -> None:
    created = await create_content(client, kind="news", title="新闻 📰", source="partner")
    record = await published_record(broker, "huoli.content", subject=created["id"])
    event = orjson.loads(record.value)
    assert record.key == COMMUNITY.encode()  # one community's events stay in order
    assert event["specversion"] == "1.0"
    assert event["type"] == "content.created"
    assert event["source"] == "huoli/content"
    assert event["communityid"] == COMMUNITY
    assert event["subject"] == created["id"]
    assert event["datacontenttype"] == "application/json"
    assert event["id"]
    assert event["time"]
    assert event["data"] == {
        "community_id": COMMUNITY,
        "content_id": created["id"],
        "kind": "news",
        "title": "新闻 📰",
        "source_kind": "partner",
        "author_member_id": None,
        "created_at": event["data"]["created_at"],
    }


async def test_lists_paginate_with_cursors_within_one_community(
    client: httpx.AsyncClient,
) -> None:
    first_id = (await create_content(client, title="一"))["id"]
    second_id = (await create_content(client, title="二", kind="poll", poll_options=["是", "否"]))[
        "id"
    ]
    await create_content(client, "cmty_other", title="elsewhere")
    path = f"/v1/communities/{COMMUNITY}/content"
    # The recorder (an editor) lists: the items are drafts, which plain members do not see.
    editor = actor("recorder")

    page_one = await client.get(path, params={"limit": 1}, headers=editor)
    assert page_one.status_code == 200
    assert [item["id"] for item in page_one.json()["items"]] == [first_id]
    cursor = page_one.json()["next_cursor"]
    assert cursor

    page_two = (
        await client.get(path, params={"limit": 1, "cursor": cursor}, headers=editor)
    ).json()
    assert [item["id"] for item in page_two["items"]] == [second_id]
    assert page_two["items"][0]["title"] == "二"
    assert page_two["next_cursor"] is None

    polls = (await client.get(path, params={"kind": "poll"}, headers=editor)).json()
    assert [item["id"] for item in polls["items"]] == [second_id]
    drafts = (await client.get(path, params={"status": "draft"}, headers=editor)).json()
    assert len(drafts["items"]) == 2
    published = (await client.get(path, params={"status": "published"}, headers=editor)).json()
    assert published == {"items": [], "next_cursor": None}


async def test_unknown_content_is_not_found(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.get("/v1/content/cnt_nope", headers=actor()), 404)
    assert problem["content_id"] == "cnt_nope"
    assert problem["type"].endswith("/content-not-found")


async def test_strangers_and_unknown_communities_are_answered_alike_with_404(
    client: httpx.AsyncClient,
) -> None:
    created = await create_content(client)
    stranger = actor("mallory")
    for community_id in (COMMUNITY, "cmty_nowhere"):
        path = f"/v1/communities/{community_id}/content"
        for response in (
            await client.get(path, headers=stranger),
            await client.post(path, json=content_fields(), headers=stranger),
            # Not even an invalid body tells a stranger the community exists.
            await client.post(path, json={"kind": "essay"}, headers=stranger),
        ):
            problem = assert_problem(response, 404)
            assert problem["type"].endswith("/community-not-found")
            assert problem["detail"] == f"No community {community_id!r}."
    hidden = assert_problem(await client.get(f"/v1/content/{created['id']}", headers=stranger), 404)
    assert hidden["type"].endswith("/content-not-found")
    # The owner of another community is a stranger here too; a platform admin is not.
    other = await client.get(f"/v1/content/{created['id']}", headers=actor("neighbour"))
    assert_problem(other, 404)
    admin = actor("mallory", roles=["platform_admin"])
    assert (await client.get(f"/v1/content/{created['id']}", headers=admin)).status_code == 200
    listed = await client.get(f"/v1/communities/{COMMUNITY}/content", headers=admin)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]


async def test_members_draft_their_own_member_content_and_editors_the_rest(
    client: httpx.AsyncClient,
) -> None:
    path = f"/v1/communities/{COMMUNITY}/content"
    own = await client.post(path, json=content_fields(source="member"), headers=actor("reader"))
    assert own.status_code == 201, own.text
    assert own.json()["created_by"] == "reader"
    assert own.json()["author_member_id"] == member_id_of("reader")
    for source in ("official", "partner"):
        refused = await client.post(path, json=content_fields(source=source), headers=actor())
        assert assert_problem(refused, 403)["type"].endswith("/role-required")
    in_another_name = content_fields(source="member", author_member_id=member_id_of("reader"))
    refused = await client.post(path, json=in_another_name, headers=actor("alice"))
    assert assert_problem(refused, 403)["type"].endswith("/not-your-content")
    # An editor may file a member's story in that member's name, not in a stranger's.
    curated = await client.post(path, json=in_another_name, headers=actor("recorder"))
    assert curated.status_code == 201, curated.text
    assert curated.json()["author_member_id"] == member_id_of("reader")
    unknown = content_fields(source="member", author_member_id="m-nobody")
    assert_problem(
        await client.post(path, json=unknown, headers=actor("recorder")),
        422,
        field="author_member_id",
    )


async def test_bad_input_is_answered_with_problems(client: httpx.AsyncClient) -> None:
    path = f"/v1/communities/{COMMUNITY}/content"
    headers = actor()

    async def post(body: object) -> httpx.Response:
        return await client.post(path, json=body, headers=actor("recorder"))

    for missing in ("kind", "title", "body", "source"):
        fields = content_fields()
        del fields[missing]
        assert_problem(await post(fields), 422, field=missing)
    assert_problem(await post(content_fields(title=42)), 422, field="title")
    assert_problem(await post(content_fields(body=["not", "text"])), 422, field="body")
    assert_problem(await post(content_fields(tags="one-tag")), 422, field="tags")
    assert_problem(await post(content_fields(tier_ids=[1])), 422, field=0)
    assert_problem(await post(content_fields(kind="essay")), 422, field="kind")
    assert_problem(await post(content_fields(source="bot")), 422, field="source")
    assert_problem(await post(content_fields(title="x" * 201)), 422, field="title")
    assert_problem(await post(content_fields(title="   ")), 422, field="title")
    assert_problem(await post(content_fields(body="")), 422, field="body")
    assert_problem(await post(content_fields(body=LONG_BODY + "!")), 422, field="body")
    assert_problem(
        await post(content_fields(author_member_id="m" * 41)), 422, field="author_member_id"
    )
    assert_problem(await post(content_fields(status="published")), 422, field="status")
    assert_problem(await post(content_fields(title="a\x00b")), 422, field="title")
    assert_problem(await post(content_fields(body="a\x00b")), 422, field="body")
    assert_problem(await post(content_fields(tags=["\x00"])), 422, field=0)
    assert_problem(await post(content_fields(tier_ids=["tier core"])), 422, field=0)
    lone_surrogate = await client.post(
        path,
        content=b'{"kind": "article", "title": "\\ud800", "body": "x", "source": "official"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert_problem(lone_surrogate, 422, field="title")
    assert_problem(await post([content_fields()]), 422)
    long_community = await client.post(
        f"/v1/communities/{'c' * 41}/content", json=content_fields(), headers=headers
    )
    assert_problem(long_community, 422, field="community_id")
    assert_problem(
        await client.get(path, params={"limit": 201}, headers=headers), 422, field="limit"
    )
    assert_problem(
        await client.get(path, params={"cursor": "%%%"}, headers=headers), 422, field="cursor"
    )
    assert_problem(
        await client.get(path, params={"kind": "essay"}, headers=headers), 422, field="kind"
    )
    forged = encode_cursor(["\x00"])
    assert_problem(
        await client.get(path, params={"cursor": forged}, headers=headers), 422, field="cursor"
    )
    assert_problem(
        await client.get("/v1/content/cnt%00x", headers=headers), 422, field="content_id"
    )
    nul_community = await client.get("/v1/communities/c%00x/content", headers=headers)
    assert_problem(nul_community, 422, field="community_id")

    listed = await client.get(path, headers=headers)
    assert listed.json()["items"] == []  # nothing half-written by any of the above
