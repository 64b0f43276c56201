"""The content service's background work on SQLite and PostgreSQL with the real broker: the
publisher (two instances on one database, items overdue after downtime), series
materialization, and the consumers of activities (engagement) and erasure."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from services.common.components import CONTENT
from services.common.events.envelope import CloudEvent
from services.common.ids import new_id
from services.content.series.workers import materialize_once
from services.content.tables import ContentItem, membership, messaging
from tests.conftest import MigratedDatabases
from tests.content.test_content_workflow import BERLIN, ROLES, SHANGHAI, act, approved, create, seed
from tests.support import (
    actor,
    assert_problem,
    eventually,
    member_id_of,
    publish_raw,
    running_service,
    seed_membership,
    service_app,
    service_client,
)

client = service_client(
    CONTENT, prepare=seed, run_consumers=False, run_publisher=False, run_series_worker=False
)
consuming_client = service_client(
    CONTENT, prepare=seed, run_consumers=True, run_publisher=False, run_series_worker=False
)


def scheduled_item(publish_at: datetime) -> ContentItem:
    now = datetime.now(UTC)
    return ContentItem(
        id=new_id("cnt"),
        community_id=SHANGHAI,
        kind="brief",
        title="早报 🌅",
        body="今日要闻",
        source="official",
        status="scheduled",
        publish_at=publish_at,
        created_by="editor",
        created_at=now,
        updated_at=now,
    )


async def test_two_publishers_publish_each_due_item_once_and_overdue_ones_late(
    backend: str, migrated_databases: MigratedDatabases, broker: str, tmp_path: Path
) -> None:
    async with migrated_databases.copy(backend, CONTENT, tmp_path) as database_url:
        apps = [
            service_app(
                CONTENT,
                database_url=database_url,
                broker=broker,
                run_migrations_on_startup=False,
                run_consumers=False,
                run_series_worker=False,
                publisher_poll_seconds=0.02,
                publisher_batch=7,  # small batches: the two instances interleave
            )
            for _ in range(2)
        ]
        first, second = apps
        async with running_service(first) as client_one:
            await seed_membership(first, membership, SHANGHAI, ROLES)
            # Downtime: these were due ten minutes ago and nobody published them.
            overdue = [scheduled_item(datetime.now(UTC) - timedelta(minutes=10)) for _ in range(20)]
            due_soon = [scheduled_item(datetime.now(UTC) + timedelta(seconds=1)) for _ in range(40)]
            async with first.state.runtime.sessions() as session:
                session.add_all([*overdue, *due_soon])
                await session.commit()
            async with running_service(second):

                async def all_published() -> list[ContentItem]:
                    async with first.state.runtime.sessions() as session:
                        rows = (await session.execute(select(ContentItem))).scalars().all()
                    assert {row.status for row in rows} == {"published"}, Counter(
                        row.status for row in rows
                    )
                    return list(rows)

                rows = await eventually(all_published, timeout=30)
            outbox = messaging.outbox
            async with first.state.runtime.sessions() as session:
                payloads = (await session.execute(select(outbox.c.payload))).scalars().all()
            published = [
                orjson.loads(payload)
                for payload in payloads
                if orjson.loads(payload)["type"] == "content.published"
            ]
            per_item = Counter(event["subject"] for event in published)
            assert len(per_item) == 60
            assert set(per_item.values()) == {1}  # exactly once, two publishers or not
            late = {row.id for row in rows if row.late}
            assert late == {item.id for item in overdue}
            late_events = {event["subject"] for event in published if event["data"]["late"]}
            assert late_events == late
            for event in published:
                assert event["data"]["scheduled_at"] is not None
            fetched = await client_one.get(f"/v1/content/{overdue[0].id}", headers=actor("reader"))
            assert fetched.json()["late"] is True
            assert fetched.json()["status"] == "published"


async def test_the_publisher_fires_at_the_scheduled_time(
    backend: str, migrated_databases: MigratedDatabases, broker: str, tmp_path: Path
) -> None:
    async with migrated_databases.copy(backend, CONTENT, tmp_path) as database_url:
        app = service_app(
            CONTENT,
            database_url=database_url,
            broker=broker,
            run_migrations_on_startup=False,
            run_consumers=False,
            run_series_worker=False,
            publisher_poll_seconds=0.05,
        )
        async with running_service(app) as client:
            await seed(app)
            rules = {
                "slots": ["08:00"],
                "max_per_day": 50,
                "min_gap_minutes": 0,
                "quiet_hours": None,
            }
            put = await client.put(
                f"/v1/communities/{SHANGHAI}/publishing-rules", json=rules, headers=actor("owner")
            )
            assert put.status_code == 200
            item = await approved(client)
            publish_at = datetime.now(UTC) + timedelta(seconds=1)
            scheduled = await act(client, item["id"], "schedule", publish_at=publish_at.isoformat())
            assert scheduled.json()["status"] == "scheduled", scheduled.text

            async def published() -> dict[str, Any]:
                body: dict[str, Any] = (
                    await client.get(f"/v1/content/{item['id']}", headers=actor("reader"))
                ).json()
                assert body["status"] == "published"
                return body

            body = await eventually(published, timeout=15)
            assert datetime.fromisoformat(body["published_at"]) >= publish_at
            assert body["late"] is False


async def test_a_series_materializes_its_window_once_under_the_rules(
    client: httpx.AsyncClient,
) -> None:
    path = f"/v1/communities/{SHANGHAI}/series"
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    series = {
        "title": "早报 🌅",
        "kind": "brief",
        "rrule": "RRULE:FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
        "body_template": "{date} 的早报：今日要闻",  # noqa: RUF001
        "starts_at": f"{tomorrow.isoformat()}T08:00:00+08:00",
    }
    assert_problem(await client.post(path, json=series, headers=actor("writer")), 403)
    for bad in ("FREQ=MINUTELY", "FREQ=DAILY;BYMINUTE=0,10", "FREQ=SOMETIMES", "x" * 600):
        assert_problem(
            await client.post(path, json={**series, "rrule": bad}, headers=actor("editor")),
            422,
            field="rrule",
        )
    for starts_at in ("0001-01-01T08:00:00Z", "9999-12-31T08:00:00Z", "2020-01-01T08:00:00Z"):
        assert_problem(
            await client.post(
                path, json={**series, "starts_at": starts_at}, headers=actor("editor")
            ),
            422,
            field="starts_at",
        )
    asked_at = datetime.now(ZoneInfo("Asia/Shanghai"))
    created = await client.post(path, json=series, headers=actor("editor"))
    answered_at = datetime.now(ZoneInfo("Asia/Shanghai"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("ser_")

    def mornings_within_the_window(now: datetime) -> int:
        # The default window is 14 days from now: 13 mornings from tomorrow's, or 14 once
        # today's 08:00 has passed (the 14th morning is then inside the window too).
        end = now + timedelta(days=14)
        first = datetime.combine(tomorrow, time(8), tzinfo=ZoneInfo("Asia/Shanghai"))
        return sum(1 for day in range(16) if first + timedelta(days=day) <= end)

    assert body["materialized"] in {
        mornings_within_the_window(asked_at),
        mornings_within_the_window(answered_at),
    }
    calendar = (
        await client.get(
            f"/v1/communities/{SHANGHAI}/calendar", params={"limit": 50}, headers=actor("reader")
        )
    ).json()["items"]
    briefs = [item for item in calendar if item["series_id"] == body["id"]]
    assert len(briefs) == body["materialized"]
    local_times = {
        datetime.fromisoformat(item["publish_at"]).astimezone(ZoneInfo("Asia/Shanghai")).time()
        for item in briefs
    }
    assert {moment.strftime("%H:%M") for moment in local_times} == {"08:00"}
    assert briefs[0]["body"] == f"{tomorrow.isoformat()} 的早报：今日要闻"  # noqa: RUF001
    assert briefs[0]["status"] == "scheduled"

    # The worker's pass (a second instance, or the next tick) makes nothing twice.
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    runtime = app.state.runtime
    assert await materialize_once(runtime, runtime.settings) == 0

    # An occurrence the rules forbid moves to the next free slot: a second daily series at
    # 08:00 collides with the first (min gap 120 minutes) and goes out at 12:30.
    second = await client.post(
        path, json={**series, "title": "第二份早报"}, headers=actor("editor")
    )
    assert second.status_code == 201
    calendar = (
        await client.get(
            f"/v1/communities/{SHANGHAI}/calendar", params={"limit": 50}, headers=actor("reader")
        )
    ).json()["items"]
    moved = [item for item in calendar if item["series_id"] == second.json()["id"]]
    assert moved
    assert {
        datetime.fromisoformat(item["publish_at"])
        .astimezone(ZoneInfo("Asia/Shanghai"))
        .strftime("%H:%M")
        for item in moved
    } == {"12:30"}


def envelope(
    event_type: str, data: dict[str, Any], *, source: str, event_id: str | None = None
) -> bytes:
    fields: dict[str, Any] = {
        "source": source,
        "type": event_type,
        "subject": data.get("content_id") or data.get("member_id"),
        "communityid": data["community_id"],
        "data": data,
    }
    if event_id is not None:
        fields["id"] = event_id
    return CloudEvent(**fields).model_dump_json().encode()


async def test_engagement_counts_activities_once_and_erasure_leaves_a_tombstone(
    consuming_client: httpx.AsyncClient, broker: str
) -> None:
    client = consuming_client
    item = await approved(client)
    await act(client, item["id"], "publish")
    activities = []
    for index, activity_type in enumerate(
        ["content_view", "content_view", "reaction", "reply", "share", "message"]
    ):
        data = {
            "activity_id": f"act-{index}",
            "community_id": SHANGHAI,
            "member_id": member_id_of("reader"),
            "activity_type": activity_type,
            "occurred_at": datetime.now(UTC).isoformat(),
            "content_id": item["id"],
        }
        activities.append(
            envelope("activity.recorded", data, source="huoli/scoring", event_id=new_id("evt"))
        )
    # Redelivered: the inbox applies it once.
    activities.append(activities[0])
    # Another community's activity naming this item counts for nothing.
    foreign = {
        "activity_id": "act-x",
        "community_id": "cmty_elsewhere",
        "member_id": "m-x",
        "activity_type": "content_view",
        "occurred_at": datetime.now(UTC).isoformat(),
        "content_id": item["id"],
    }
    activities.append(envelope("activity.recorded", foreign, source="huoli/scoring"))
    for value in activities:
        await publish_raw(broker, "huoli.activities", value, key=SHANGHAI.encode())

    async def counted() -> None:
        body = (await client.get(f"/v1/content/{item['id']}", headers=actor("reader"))).json()
        assert body["engagement"] == {"views": 2, "reactions": 1, "comments": 1, "shares": 1}

    await eventually(counted, timeout=30)
    await asyncio.sleep(0.5)  # the duplicate and the foreign one, if counted, would show now
    await counted()

    erased = {
        "community_id": SHANGHAI,
        "member_id": member_id_of("writer"),
        "user_id": "writer",
        "erased_at": datetime.now(UTC).isoformat(),
    }
    await publish_raw(
        broker,
        "huoli.members",
        envelope("user.erased", erased, source="huoli/members"),
        key=SHANGHAI.encode(),
    )

    async def anonymised() -> None:
        # Read by staff: a plain member sees no one's user id at all.
        body = (await client.get(f"/v1/content/{item['id']}", headers=actor("admin"))).json()
        assert body["author_erased"] is True
        assert body["created_by"] == "erased"

    await eventually(anonymised, timeout=30)
    body = (await client.get(f"/v1/content/{item['id']}", headers=actor("reader"))).json()
    assert body["author_member_id"] == member_id_of("writer")  # the tombstone
    assert body["title"] == item["title"]  # the content stays
    assert body["status"] == "published"
    other = await create(client, by="reader")
    assert other["created_by"] == "reader"  # others' authorship untouched


async def test_a_series_start_without_an_offset_is_the_communitys_wall_clock(
    client: httpx.AsyncClient,
) -> None:
    path = f"/v1/communities/{SHANGHAI}/series"
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    series = {
        "title": "晚报",
        "kind": "brief",
        "rrule": "FREQ=WEEKLY;BYHOUR=20;BYMINUTE=0;BYSECOND=0",
        "body_template": "{date}",
        "starts_at": f"{tomorrow.isoformat()}T20:00:00",
    }
    created = await client.post(path, json=series, headers=actor("editor"))
    assert created.status_code == 201, created.text
    starts_at = datetime.fromisoformat(created.json()["starts_at"])
    # 20:00 in Shanghai (the community's timezone) is 12:00 UTC.
    assert starts_at == datetime.combine(tomorrow, time(12), tzinfo=UTC)
    # Naive and out of range once read in Shanghai: refused, not a server error.
    for far in ("0001-01-01T00:00:00", "9999-12-31T23:59:59"):
        refused = await client.post(
            path, json={**series, "starts_at": far}, headers=actor("editor")
        )
        assert_problem(refused, 422, field="starts_at")


async def test_series_items_are_screened_like_any_other(client: httpx.AsyncClient) -> None:
    path = f"/v1/communities/{BERLIN}/series"
    tomorrow = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=1)).date()
    series = {
        "title": "晚报",
        "kind": "brief",
        "rrule": "RRULE:FREQ=WEEKLY;BYHOUR=21;BYMINUTE=0;BYSECOND=0",
        "body_template": "{date} 扫码进群 https://mp.weixin.qq.com/s/x",
        "starts_at": f"{tomorrow.isoformat()}T21:00:00+01:00",
    }
    created = await client.post(path, json=series, headers=actor("editor"))
    assert created.status_code == 201, created.text
    assert created.json()["materialized"] >= 1
    listed = await client.get(
        f"/v1/communities/{BERLIN}/content",
        params={"limit": 50},
        headers=actor("editor"),
    )
    items = [item for item in listed.json()["items"] if item["series_id"] == created.json()["id"]]
    assert len(items) == created.json()["materialized"]
    # By the official defaults: flagged for a person (the link stands), not published by itself.
    assert {(i["status"], i["flagged"], i["publish_at"]) for i in items} == {
        ("in_review", True, None)
    }
    assert {hit["rule"] for hit in items[0]["screening"]} == {"ads"}
