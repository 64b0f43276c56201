"""The onboarding metrics on a real database (both backends): completion rate, and week-1
retention (active on days 7 to 13 after the join day) of members onboarded within their first
7 days against the others, counting only members whose day 13 is over (issue 23). The rows are
written as scoring's consumers write them: joins, daily activity, progress."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert

from services.scoring.tables import change_table, daily_active_table, progress_table
from tests.scoring.test_scoring_api import WRITER, Community, Running, api, community
from tests.support import actor

__all__ = ["api", "community"]  # the fixtures, used by name

ZONE = ZoneInfo("Asia/Shanghai")  # the seeded communities' timezone


def at(day: date) -> datetime:
    """Local noon of a day, in UTC."""
    return datetime.combine(day, time(12), tzinfo=ZONE).astimezone(UTC)


async def test_completion_and_week_one_retention_onboarded_against_not(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("a", "b", "c", "d", "e")
    today = datetime.now(ZONE).date()
    joined = today - timedelta(days=20)
    # member → (join day, onboarded on, active days)
    plan: dict[str, tuple[date, date | None, list[date]]] = {
        # onboarded on day 2, active on day 8: retained, onboarded in time
        "m-a": (joined, joined + timedelta(days=2), [joined + timedelta(days=8)]),
        # onboarded on day 2, active only on days 6 and 14: not retained, onboarded in time
        "m-b": (
            joined,
            joined + timedelta(days=2),
            [joined + timedelta(days=6), joined + timedelta(days=14)],
        ),
        # onboarded on day 9 (late), active on day 13: retained, not onboarded in time
        "m-c": (joined, joined + timedelta(days=9), [joined + timedelta(days=13)]),
        # never onboarded, never active: not retained, not onboarded
        "m-d": (joined, None, []),
        # joined 5 days ago: onboarded, but its week 2 is not over, so not measured
        "m-e": (today - timedelta(days=5), today - timedelta(days=4), [today]),
    }
    assert Running.app is not None
    async with Running.app.state.runtime.sessions() as session:
        for member, (join_day, onboarded_on, active) in plan.items():
            change: dict[str, Any] = {
                "event_id": f"join-{cid}-{member}",
                "community_id": cid,
                "member_id": member,
                "kind": "joined",
                "occurred_at": at(join_day),
            }
            await session.execute(insert(change_table).values(**change))
            await session.execute(
                insert(progress_table).values(
                    community_id=cid,
                    member_id=member,
                    acknowledge_rules_at=at(onboarded_on) if onboarded_on else None,
                    onboarded_at=at(onboarded_on) if onboarded_on else None,
                )
            )
            for day in active:
                await session.execute(
                    insert(daily_active_table).values(
                        community_id=cid, member_id=member, day=day.isoformat()
                    )
                )
        await session.commit()

    metrics = f"/v1/communities/{cid}/metrics"
    window = {"from": (today - timedelta(days=25)).isoformat(), "to": today.isoformat()}
    before = await api.get(metrics, params=window, headers=actor(WRITER))
    assert before.status_code == 200, before.text
    assert before.json()["onboarding"] is None  # no checklist, no onboarding block

    put = await api.put(
        f"/v1/communities/{cid}/onboarding/checklist",
        json={"steps": ["acknowledge_rules"]},
        headers=actor(WRITER),
    )
    assert put.status_code == 200, put.text
    answer = await api.get(metrics, params=window, headers=actor(WRITER))
    assert answer.status_code == 200, answer.text
    assert answer.json()["onboarding"] == {
        "checklist": ["acknowledge_rules"],
        "joined": 5,
        "onboarded": 4,
        "completion_rate": 0.8,
        "retention_measured": 4,
        "onboarded_in_time": 2,
        "week1_retention_onboarded": 0.5,
        "not_onboarded_in_time": 2,
        "week1_retention_not_onboarded": 0.5,
    }
    # A window holding only the recent joiner: nothing to measure retention on yet.
    recent = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    young = (await api.get(metrics, params=recent, headers=actor(WRITER))).json()["onboarding"]
    assert (young["joined"], young["onboarded"], young["retention_measured"]) == (1, 1, 0)
    assert young["week1_retention_onboarded"] is None
