"""The operator CLI against the running system: `huoli seed` fills a community through the
public API, the tables read it back, and `huoli replay --check` finds scoring's rebuild equal
to what the consumer stored."""

import asyncio
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.identity.tokens import issue_token
from huoli.api import HuoliApi
from huoli.cli import app
from huoli.seed import SeedPlan, SeedResult, seed_community
from tests.e2e.conftest import JWT_SECRET, System
from tests.support import eventually

pytestmark = pytest.mark.e2e

OWNER = "demo-owner"
runner = CliRunner()


def token_for(user_id: str) -> str:
    return issue_token(user_id, secret=JWT_SECRET)


def seed(system: System, plan: SeedPlan) -> SeedResult:
    with HuoliApi(system.stack.gateway_url, token_for(OWNER)) as api:
        return seed_community(api, plan, step=lambda _label, _done: None, token_for=token_for)


async def test_seed_then_read_the_community_back_and_replay_its_scores(system: System) -> None:
    plan = SeedPlan(members=10, activities=300, days=10)
    result = await asyncio.to_thread(seed, system, plan)
    assert len(result.tier_ids) == 3
    assert len(result.member_ids) == 10
    assert result.activities == 300, "scoring accepted every seeded activity"
    assert len(result.event_ids) == 3
    assert len(result.content_ids) == 5
    cid = result.community_id
    owner = system.auth(OWNER)

    members = await system.gateway.get(
        f"/v1/communities/{cid}/members", params={"limit": 200}, headers=owner
    )
    roles = {member["role"] for member in members.json()["items"]}
    assert {"owner", "admin", "event_officer", "recorder"} <= roles
    calendar = await system.gateway.get(f"/v1/communities/{cid}/calendar", headers=owner)
    assert calendar.status_code == 200, calendar.text
    assert {item["id"] for item in calendar.json()["items"]} == set(result.content_ids)
    report = await system.gateway.get(f"/v1/events/{result.event_ids[0]}/report", headers=owner)
    assert report.json()["attended"] > 0, report.text

    async def every_activity_scored() -> list[dict[str, Any]]:
        board = await system.gateway.get(
            f"/v1/communities/{cid}/leaderboard",
            params={"period": "month", "limit": 50},
            headers=owner,
        )
        items: list[dict[str, Any]] = board.json()["items"]
        assert items and all(item["display_name"] for item in items)
        engagement = await system.gateway.get(
            f"/v1/communities/{cid}/members/{result.member_ids[0]}/engagement", headers=owner
        )
        seeded = sum(
            entry["count"]
            for entry in engagement.json()["breakdown"]
            if entry["type"] in ("message", "reply", "reaction", "share")
        )
        assert seeded > 0
        return items

    items = await eventually(every_activity_scored, timeout=60)

    # The seed's members join now with a month of activities behind them: each week counts
    # them as members from their first activity, never fewer members than active ones.
    weekly = await system.gateway.get(
        f"/v1/communities/{cid}/metrics", params={"granularity": "week"}, headers=owner
    )
    assert weekly.status_code == 200, weekly.text
    weeks = weekly.json()["items"]
    assert sum(week["wau"] for week in weeks) > 0, weeks
    for week in weeks:
        assert week["members"] >= week["wau"], week

    shown = await asyncio.to_thread(
        runner.invoke,
        app,
        ["leaderboard", cid, "--period", "month", "--gateway", system.stack.gateway_url],
        env={"HUOLI_TOKEN": token_for(OWNER)},
    )
    assert shown.exit_code == 0, shown.output
    assert items[0]["member_id"] in shown.output

    # What operators need beside the ids: the WAU figures, and names in the tier policy's table.
    for command, expected in (("health", "WAU "), ("tier-policy", "moves planned")):
        printed = await asyncio.to_thread(
            runner.invoke,
            app,
            [command, cid, "--gateway", system.stack.gateway_url],
            env={"HUOLI_TOKEN": token_for(OWNER), "COLUMNS": "200"},
        )
        assert printed.exit_code == 0, printed.output
        assert expected in printed.output, printed.output

    async def replay_agrees() -> None:
        checked = await asyncio.to_thread(
            runner.invoke,
            app,
            ["replay", "--check"],
            env={"SCORING_DATABASE_URL": system.database_urls["scoring"]},
        )
        assert checked.exit_code == 0, checked.output
        assert "scores match the ledger" in checked.output

    # The consumer may still be folding the last batch in: a check mid-batch may differ.
    await eventually(replay_agrees, timeout=30, interval=1)
