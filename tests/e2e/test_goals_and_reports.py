"""Goals, the figures people ask for, and the weekly and monthly report, through the gateway on
real processes (real broker, SQLite and PostgreSQL).

A community with last month's history imported (backdated activities) gets: goals with progress
and a forecast; monthly metrics with raw counts; content ranked by engagement; events compared;
last month's report built by the background worker (`report.ready` reaches a webhook), rebuilt
by the owner, read as JSON and as HTML that headless Chromium renders with its charts drawn.

Bad input through the gateway: a goal on an unknown metric → 422 naming `metric`; a malformed
period → 422 naming `period`; a target outside the metric's range → 422 `target-out-of-range`
naming `target`; a second goal for one metric and period → 409 `goal-exists`; a report period
malformed, in the future, not ended yet, or before the community existed → 422
`report-period-invalid` naming `period`; a NUL in a goal's period → 422; in each case nothing is
stored (the goal list is unchanged)."""

import json
import os
import re
import subprocess
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from fastapi import FastAPI, Request, Response

from tests.e2e.conftest import System
from tests.e2e.test_walking_skeleton import create_community, join, known_to_scoring
from tests.gateway.fakes import serving
from tests.support import assert_problem, eventually

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def chart_boxes(page: str) -> list[dict[str, Any]]:
    """Render an HTML page in headless Chromium, offline, and read back the bounding boxes the
    page's own script wrote for each chart (`data-chart-boxes` on <body>)."""
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y "
        "chromium)"
    )
    with tempfile.TemporaryDirectory() as workdir:
        html = Path(workdir) / "report.html"
        html.write_text(page, encoding="utf-8")
        dumped = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={Path(workdir) / 'profile'}",
                "--dump-dom",
                html.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "HOME": workdir},
        )
    match = re.search(r'data-chart-boxes="([^"]*)"', dumped.stdout)
    assert match is not None, dumped.stderr[-2000:]
    boxes: list[dict[str, Any]] = json.loads(match.group(1).replace("&quot;", '"'))
    return boxes


def last_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).isoformat()


async def published_content(system: System, cid: str, owner: dict[str, str]) -> str:
    async def create() -> str:
        # The content service learns of the community through the broker, a moment later.
        created = await system.gateway.post(
            f"/v1/communities/{cid}/content",
            json={
                "kind": "tutorial",
                "title": "入门指南 📘",
                "body": "如何开始",
                "source": "official",
            },
            headers=owner,
        )
        assert created.status_code == 201, created.text
        made: str = created.json()["id"]
        return made

    content_id: str = await eventually(create, timeout=30)
    for action in ("submit", "approve", "publish"):
        answer = await system.gateway.post(f"/v1/content/{content_id}/{action}", headers=owner)
        assert answer.status_code == 200, (action, answer.text)
        if answer.json().get("status") == "published":
            break
    return content_id


async def test_goals_figures_and_reports_through_the_gateway(system: System) -> None:
    cid = await create_community(system, owner="rpt-owner")
    owner = system.auth("rpt-owner")
    ming = await join(system, cid, "rpt-ming", "小明")
    hong = await join(system, cid, "rpt-hong", "小红 🌸")
    await known_to_scoring(system, cid, [ming, hong], owner="rpt-owner")
    today = datetime.now(SHANGHAI).date()
    month = last_month(today)
    month_name = f"{month.year:04d}-{month.month:02d}"

    received: list[dict[str, Any]] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.append(orjson.loads(await request.body()))
        return Response(status_code=204)

    async with serving(receiver) as receiver_url:

        async def subscribe() -> None:
            # The gateway learns of the community through the broker, a moment later.
            subscribed = await system.gateway.post(
                "/v1/webhooks",
                json={
                    "url": f"{receiver_url}/hook",
                    "event_types": ["report.ready"],
                    "community_id": cid,
                },
                headers=owner,
            )
            assert subscribed.status_code == 201, subscribed.text

        await eventually(subscribe, timeout=30)

        content_id = await published_content(system, cid, owner)
        # Last month's history, imported: 5 messages and 2 replies by 小明, 3 views and a share
        # of the tutorial by 小红, and a view of an item content never announced.
        day = month + timedelta(days=2)
        items: list[dict[str, Any]] = [
            {
                "id": f"rpt-msg-{n}",
                "community_id": cid,
                "member_id": ming,
                "type": "message",
                "occurred_at": at(day + timedelta(days=n), 10),
            }
            for n in range(5)
        ]
        items += [
            {
                "id": f"rpt-reply-{n}",
                "community_id": cid,
                "member_id": ming,
                "type": "reply",
                "target_member_id": hong,
                "occurred_at": at(day, 11, n * 2),
            }
            for n in range(2)
        ]
        items += [
            {
                "id": f"rpt-view-{n}",
                "community_id": cid,
                "member_id": hong,
                "type": "content_view",
                "content_id": content_id,
                "occurred_at": at(day + timedelta(days=1), 9, n * 2),
            }
            for n in range(3)
        ]
        items += [
            {
                "id": "rpt-share",
                "community_id": cid,
                "member_id": hong,
                "type": "share",
                "content_id": content_id,
                "occurred_at": at(day + timedelta(days=1), 12),
            },
            {
                "id": "rpt-view-other",
                "community_id": cid,
                "member_id": ming,
                "type": "content_view",
                "content_id": "cnt_elsewhere",
                "occurred_at": at(day + timedelta(days=3), 9),
            },
        ]
        posted = await system.gateway.post("/v1/activities", json=items, headers=owner)
        assert posted.status_code == 202, posted.text
        assert posted.json()["accepted"] == len(items), posted.text

        # Monthly metrics, with the raw counts beside the ratios.
        async def monthly() -> dict[str, Any]:
            answer = await system.gateway.get(
                f"/v1/communities/{cid}/metrics",
                params={"granularity": "month", "from": month.isoformat()},
                headers=owner,
            )
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            first = body["items"][0]
            assert first["starts_on"] == month.isoformat()
            assert (first["messages"], first["replies"], first["active"]) == (5, 2, 2), first
            # The tutorial, published today, arrives on another topic: wait for it too.
            assert body["items"][-1]["content_items"] == 1, body["items"]
            return body

        metrics = await eventually(monthly, timeout=60)
        assert [item["starts_on"][:7] for item in metrics["items"]] == [
            month_name,
            today.isoformat()[:7],
        ]

        async def ranked() -> dict[str, Any]:
            answer = await system.gateway.get(
                f"/v1/communities/{cid}/content-ranking",
                params={"from": month.isoformat(), "to": today.isoformat()},
                headers=owner,
            )
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            assert [i["content_id"] for i in body["items"]] == [content_id, "cnt_elsewhere"]
            assert body["items"][0]["title"] == "入门指南 📘", body
            return body

        ranking = await eventually(ranked, timeout=60)
        # 3 views x1 + 1 share x5.
        assert ranking["items"][0]["engagement"] == 8
        assert ranking["items"][0]["counts"] == {"content_view": 3, "share": 1}
        assert [k["kind"] for k in ranking["kinds"]] == ["tutorial", "unknown"]

        # Goals.
        goals = f"/v1/communities/{cid}/goals"
        this_month = today.isoformat()[:7]
        created = await system.gateway.post(
            goals, json={"metric": "members", "period": this_month, "target": 10}, headers=owner
        )
        assert created.status_code == 201, created.text
        goal = created.json()
        assert goal["progress"]["value"] == 3  # the owner and the two who joined
        assert goal["progress"]["forecast"] is not None
        assert goal["progress"]["status"] in {"on_track", "off_track"}
        read = await system.gateway.get(f"{goals}/{goal['id']}", headers=owner)
        assert read.status_code == 200 and read.json()["target"] == 10
        nps = await system.gateway.post(
            goals, json={"metric": "nps", "period": "2026-Q4", "target": 30}, headers=owner
        )
        assert nps.status_code == 201, nps.text
        assert nps.json()["progress"]["value"] is None
        assert "NPS" in nps.json()["progress"]["reason"]
        for body, field in (
            ({"metric": "happiness", "period": this_month, "target": 1}, "metric"),
            ({"metric": "members", "period": "2026-13", "target": 1}, "period"),
            ({"metric": "members", "period": "2026\u0000", "target": 1}, "period"),
            ({"metric": "members", "period": this_month, "target": float("nan")}, "target"),
        ):
            refused = await system.gateway.post(
                goals,
                content=json.dumps(body),
                headers={**owner, "content-type": "application/json"},
            )
            assert_problem(refused, 422, field=field)
        out_of_range = await system.gateway.post(
            goals, json={"metric": "active_rate", "period": "2026", "target": 2}, headers=owner
        )
        assert assert_problem(out_of_range, 422, field="target")["type"].endswith(
            "target-out-of-range"
        )
        again = await system.gateway.post(
            goals, json={"metric": "members", "period": this_month, "target": 5}, headers=owner
        )
        assert assert_problem(again, 409, field="metric")["type"].endswith("goal-exists")
        member_tries = await system.gateway.post(
            goals,
            json={"metric": "members", "period": "2027", "target": 5},
            headers=system.auth("rpt-ming"),
        )
        assert member_tries.status_code == 403
        listed = await system.gateway.get(goals, headers=owner)
        assert sorted(g["metric"] for g in listed.json()["items"]) == ["members", "nps"]
        changed = await system.gateway.patch(
            f"{goals}/{goal['id']}", json={"target": 3}, headers=owner
        )
        assert changed.status_code == 200 and changed.json()["target"] == 3
        gone = await system.gateway.delete(f"{goals}/{nps.json()['id']}", headers=owner)
        assert gone.status_code == 204
        assert (
            await system.gateway.get(f"{goals}/{nps.json()['id']}", headers=owner)
        ).status_code == 404
        month_goal = await system.gateway.post(
            goals,
            json={"metric": "weekly_actives", "period": month_name, "target": 4},
            headers=owner,
        )
        assert month_goal.status_code == 201, month_goal.text
        assert month_goal.json()["progress"]["status"] in {"met", "missed"}

        # Report periods refused.
        reports = f"/v1/communities/{cid}/reports"
        next_year = f"{today.year + 1:04d}-01"
        for period, reason in (
            ("garbage", "malformed"),
            ("2026-W60", "malformed"),
            (next_year, "in_future"),
            (this_month, "not_ended"),
            ("2001-01", "before_community"),
        ):
            refused = await system.gateway.get(f"{reports}/{period}", headers=owner)
            problem = assert_problem(refused, 422, field="period")
            assert problem["reason"] == reason, problem

        # The worker builds last month's report once the history arrived; rebuilding it takes
        # in whatever arrived after that.
        async def announced() -> None:
            ready = [e["data"] for e in received if e["type"] == "report.ready"]
            assert month_name in [r["period"] for r in ready], received

        await eventually(announced, timeout=90, interval=0.5)
        rebuilt = await system.gateway.post(f"{reports}/{month_name}/rebuild", headers=owner)
        assert rebuilt.status_code == 200, rebuilt.text
        member_rebuild = await system.gateway.post(
            f"{reports}/{month_name}/rebuild", headers=system.auth("rpt-ming")
        )
        assert member_rebuild.status_code == 403

        report = (await system.gateway.get(f"{reports}/{month_name}", headers=owner)).json()
        kpis = {k["name"]: k for k in report["kpis"]}
        assert (kpis["messages"]["value"], kpis["replies"]["value"]) == (5, 2)
        assert kpis["active"]["value"] == 2
        assert kpis["messages"]["previous"] == 0
        assert all(k["formula"] for k in report["kpis"])
        assert report["top_content"][0]["content_id"] == content_id
        assert [row["member_id"] for row in report["leaderboard"]][:2] in ([ming, hong],)
        assert report["leaderboard"][0]["display_name"] == "小明"
        assert [g["metric"] for g in report["goals"]] == ["weekly_actives"]
        assert report["gaps"]["incidents"]
        assert sum(d["activities"] for d in report["daily"]) >= 12
        listed_reports = await system.gateway.get(
            f"/v1/communities/{cid}/periodic-reports", headers=owner
        )
        assert listed_reports.status_code == 200, listed_reports.text
        assert month_name in [r["period"] for r in listed_reports.json()["items"]]

        page = await system.gateway.get(
            f"{reports}/{month_name}", headers={**owner, "Accept": "text/html"}
        )
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "小明" in page.text and "<svg" in page.text
        # Self-contained: nothing is fetched from anywhere.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
        same = await system.gateway.get(f"{reports}/{month_name}?format=html", headers=owner)
        assert same.text.count("<svg") == page.text.count("<svg") >= 4

        boxes = chart_boxes(page.text)
        assert len(boxes) == page.text.count("<svg"), boxes
        for box in boxes:
            assert box["width"] > 0 and box["height"] > 0, box
        drawn = {box["label"]: box["marks"] for box in boxes}
        assert drawn["Active members per day"] >= 28  # a point per day, and the line
        assert drawn["Content by engagement"] == 2
        assert drawn["Activity counts this period"] >= 2

    # Events compared: one registration, no check-in yet.
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    event = await system.gateway.post(
        f"/v1/communities/{cid}/events",
        json={
            "title": "读书会 📚",
            "kind": "salon",
            "format": "online",
            "url": "https://meet.example.com/huoli",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        },
        headers=owner,
    )
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    published = await system.gateway.post(f"/v1/events/{event_id}/publish", headers=owner)
    assert published.status_code == 200, published.text
    registered = await system.gateway.post(
        f"/v1/events/{event_id}/registrations",
        json={"member_id": hong},
        headers=system.auth("rpt-hong"),
    )
    assert registered.status_code == 201, registered.text

    async def compared() -> None:
        answer = await system.gateway.get(
            f"/v1/communities/{cid}/event-comparison",
            params={"from": today.isoformat(), "to": (today + timedelta(days=7)).isoformat()},
            headers=owner,
        )
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        assert len(items) == 1, items
        item = items[0]
        assert (item["title"], item["registered"], item["attended"]) == ("读书会 📚", 1, 0)
        assert item["attendance_rate"] == 0 and item["no_shows"] is None
        assert item["nps"] is None and answer.json()["nps_note"]

    await eventually(compared, timeout=60)
    backwards = await system.gateway.get(
        f"/v1/communities/{cid}/event-comparison",
        params={"from": today.isoformat(), "to": month.isoformat()},
        headers=owner,
    )
    assert_problem(backwards, 422, field="from")
    stranger = await system.gateway.get(f"{reports}/{month_name}", headers=system.auth("nobody"))
    assert stranger.status_code == 404
