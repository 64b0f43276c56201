"""Early warnings in scoring (on SQLite and PostgreSQL): joins, departures, reports and
sanctions counted per UTC hour as the `scoring.warnings` consumer applies them; an hour that
reaches its threshold (an absolute floor, and five times the hourly average of the week before)
raises `health.alert_raised` once per kind and day, listed by GET …/health. A redelivered event
is counted once (the inbox)."""

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.common.components import SCORING
from services.common.events.catalogue import (
    DomainEvent,
    FeedbackSubmitted,
    MemberJoined,
    MemberLeft,
    ReportFiled,
)
from services.common.events.envelope import CloudEvent
from services.scoring.tables import membership, messaging
from services.scoring.warnings.handlers import WARNING_HANDLERS
from services.scoring.warnings.rules import (
    RATING_THRESHOLD,
    THRESHOLDS,
    RatingThreshold,
    Signal,
    rating_fall,
)
from tests.scoring.test_scoring_rules import envelope
from tests.support import actor, assert_problem, seed_membership, service_client


class Running:
    app: FastAPI | None = None


async def remember(app: FastAPI) -> None:
    Running.app = app


api = service_client(SCORING, prepare=remember, run_consumers=False, run_clockwork=False)


async def apply(*events: DomainEvent) -> None:
    """Each event as the consumer applies it: its handler, in a unit of work of its own."""
    assert Running.app is not None
    for event in events:
        async with Running.app.state.runtime.unit_of_work() as uow:
            await WARNING_HANDLERS[type(event)](uow, event, envelope(event))


async def alerts(cid: str) -> list[dict[str, Any]]:
    assert Running.app is not None
    outbox = messaging.outbox
    async with Running.app.state.runtime.read_sessions() as session:
        query = select(outbox.c.payload).order_by(outbox.c.seq)
        rows = (await session.execute(query)).scalars().all()
    found = [CloudEvent.model_validate_json(payload) for payload in rows]
    return [
        event.data
        for event in found
        if event.type == "health.alert_raised" and event.data["community_id"] == cid
    ]


def joined(cid: str, at: datetime) -> MemberJoined:
    member = f"mbr_{uuid.uuid4().hex[:12]}"
    return MemberJoined(
        community_id=cid,
        member_id=member,
        user_id=member,
        display_name="新人",
        status="active",
        role="member",
        joined_at=at,
    )


def reported(cid: str, at: datetime) -> ReportFiled:
    return ReportFiled(
        community_id=cid,
        case_id=f"case_{uuid.uuid4().hex[:8]}",
        report_id=f"rpt_{uuid.uuid4().hex[:8]}",
        reporter_member_id="mbr_r",
        kind="spam",
        target_type="message",
        target_id="m",
        filed_at=at,
    )


async def test_a_raid_raises_a_join_spike_once_and_health_lists_it(
    api: httpx.AsyncClient,
) -> None:
    cid = f"cmty_{uuid.uuid4().hex[:20]}"
    assert Running.app is not None
    await seed_membership(Running.app, membership, cid, {"reader": "member"})
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    # A usual week: 14 joins a day (2 an hour for 7 hours): the average hour has 14 * 7 / 168.
    usual = [
        joined(cid, hour - timedelta(days=day, hours=h)) for day in range(1, 8) for h in range(7)
    ]
    await apply(*usual)
    floor = THRESHOLDS[Signal.JOIN].at_least
    await apply(*(joined(cid, hour + timedelta(minutes=n % 50)) for n in range(floor - 1)))
    assert await alerts(cid) == []
    await apply(*(joined(cid, hour + timedelta(minutes=55)) for _ in range(5)))
    [alert] = await alerts(cid)
    assert (alert["kind"], alert["value"], alert["threshold"]) == ("join_spike", floor, floor)
    assert alert["previous_value"] == 1  # 49 joins over 168 hours, rounded up
    assert str(alert["window_start"]).startswith(hour.strftime("%Y-%m-%dT%H:00:00"))
    # Departures and reports below their floors raise nothing.
    await apply(
        *(
            MemberLeft(community_id=cid, member_id=f"m{n}", user_id=f"u{n}", left_at=hour)
            for n in range(THRESHOLDS[Signal.LEAVE].at_least - 1)
        ),
        *(reported(cid, hour) for _ in range(THRESHOLDS[Signal.REPORT].at_least - 1)),
    )
    assert len(await alerts(cid)) == 1
    await apply(reported(cid, hour))
    kinds = sorted(str(a["kind"]) for a in await alerts(cid))
    assert kinds == ["join_spike", "report_spike"]
    health = await api.get(f"/v1/communities/{cid}/health", headers=actor("owner"))
    assert health.status_code == 200, health.text
    assert sorted(a["kind"] for a in health.json()["alerts"]) == ["join_spike", "report_spike"]


async def test_a_busy_community_needs_five_times_its_usual_hour(api: httpx.AsyncClient) -> None:
    cid = f"cmty_{uuid.uuid4().hex[:20]}"
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    # 10 reports every hour of the week before, on the days before today (the spikes the
    # first of those hours made are those days' alerts): the line today is five times the
    # average hour, not the floor of 5.
    earlier = range(hour.hour + 1, 169)
    await apply(*(reported(cid, hour - timedelta(hours=h)) for h in earlier for _ in range(10)))
    average = 10 * len(earlier) / 168
    line = max(THRESHOLDS[Signal.REPORT].at_least, math.ceil(5 * average))
    today = hour.date().isoformat()

    async def todays() -> list[dict[str, Any]]:
        return [a for a in await alerts(cid) if a["week_starts_on"] == today]

    await apply(*(reported(cid, hour) for _ in range(line - 1)))
    assert await todays() == []
    await apply(reported(cid, hour))
    [alert] = await todays()
    assert (alert["kind"], alert["threshold"], alert["value"]) == ("report_spike", line, line)
    assert alert["previous_value"] == math.ceil(average)


async def test_a_community_sets_its_own_thresholds(api: httpx.AsyncClient) -> None:
    """Owner and admin set them (a plain member 403; a floor of 0, an unknown signal or field
    → 422, nothing stored); signals left out keep the defaults; the enforcer reads them."""
    cid = f"cmty_{uuid.uuid4().hex[:20]}"
    assert Running.app is not None
    await seed_membership(Running.app, membership, cid, {"reader": "member", "guard": "enforcer"})
    path = f"/v1/communities/{cid}/warning-thresholds"
    default = await api.get(path, headers=actor("guard"))
    assert default.status_code == 200, default.text
    assert default.json()["thresholds"]["report"] == {"at_least": 5, "times": 5.0}
    assert_problem(await api.put(path, json={"thresholds": {}}, headers=actor("reader")), 403)
    for bad in (
        {"thresholds": {"report": {"at_least": 0}}},
        {"thresholds": {"raid": {"at_least": 2}}},
        {"thresholds": {"report": {"at_least": 2, "times": 0.5}}},
        {"limits": {}},
    ):
        assert_problem(await api.put(path, json=bad, headers=actor("owner")), 422)
    assert (await api.get(path, headers=actor("owner"))).json() == default.json()
    own = {"thresholds": {"report": {"at_least": 2, "times": 1.0}}}
    put = await api.put(path, json=own, headers=actor("owner"))
    assert put.status_code == 200, put.text
    assert put.json()["thresholds"]["report"] == {"at_least": 2, "times": 1.0}
    assert put.json()["thresholds"]["join"] == {"at_least": 20, "times": 5.0}
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    await apply(reported(cid, hour))
    assert await alerts(cid) == []
    await apply(reported(cid, hour))
    [alert] = await alerts(cid)
    assert (alert["kind"], alert["threshold"]) == ("report_spike", 2)


def rated(cid: str, event_id: str, ends_at: datetime | None, rating: int) -> FeedbackSubmitted:
    return FeedbackSubmitted(
        community_id=cid,
        event_id=event_id,
        member_id=f"mbr_{uuid.uuid4().hex[:12]}",
        rating=rating,
        submitted_at=datetime.now(UTC),
        event_ends_at=ends_at,
    )


def test_a_rating_falls_when_its_mean_is_the_drop_below_the_usual() -> None:
    """Pure: the mean of the previous events' means is the usual level; fewer ratings than the
    minimum, or nothing to compare with, raise nothing."""
    threshold = RatingThreshold(min_ratings=2, previous_events=3, drop=0.5)
    usual = [(2, 9), (4, 16)]  # means 4.5 and 4.0: the usual level is 4.25
    fall = rating_fall(2, 7, usual, threshold)  # 3.5: 0.75 below
    assert fall is not None and (fall.mean, fall.baseline) == (3.5, 4.25)
    assert rating_fall(4, 15, usual, threshold) is not None  # 3.75: exactly half a star
    assert rating_fall(2, 8, usual, threshold) is None  # 4.0: a quarter below
    assert rating_fall(1, 1, usual, threshold) is None  # one rating is not enough
    assert rating_fall(2, 2, [], threshold) is None  # the first rated event
    assert RatingThreshold(min_ratings=5, previous_events=5, drop=0.5) == RATING_THRESHOLD


async def test_a_falling_event_rating_raises_rating_drop_once(api: httpx.AsyncClient) -> None:
    """Events are compared in the order they ended with the `previous_events` before them that
    had `min_ratings` ratings; an event is compared from its `min_ratings`-th rating on and
    raises `rating_drop` once, with its figures (hundredths of a star) and threshold; the
    community's own threshold applies (bad ones → 422, nothing stored)."""
    cid = f"cmty_{uuid.uuid4().hex[:20]}"
    assert Running.app is not None
    await seed_membership(Running.app, membership, cid, {"reader": "member"})
    path = f"/v1/communities/{cid}/warning-thresholds"
    for field, value in (
        ("drop", 0),
        ("drop", "much"),
        ("min_ratings", 0),
        ("previous_events", 10**30),
        ("stars", 2),
    ):
        bad = {"rating": {"drop": 1.0, field: value}}
        assert_problem(await api.put(path, json=bad, headers=actor("owner")), 422, field=field)
    assert (await api.get(path, headers=actor("owner"))).json()["rating"] == {
        "min_ratings": 5,
        "previous_events": 5,
        "drop": 0.5,
    }
    own = {"rating": {"min_ratings": 2, "previous_events": 2, "drop": 1.0}}
    assert (await api.put(path, json=own, headers=actor("owner"))).status_code == 200
    start = datetime.now(UTC).replace(microsecond=0)
    # Three earlier events: means 2.0 (the oldest, left out: only the two latest count), 5.0
    # and 4.0; one with a single rating, never compared nor counted.
    for n, ratings in enumerate(((2, 2), (5, 5), (4, 4))):
        await apply(*(rated(cid, f"evt_old{n}", start + timedelta(hours=n), r) for r in ratings))
    await apply(rated(cid, "evt_lone", start + timedelta(hours=2, minutes=30), 1))
    assert await alerts(cid) == []
    late = start + timedelta(hours=3)
    await apply(rated(cid, "evt_late", late, 3))
    assert await alerts(cid) == []  # one rating of two
    await apply(rated(cid, "evt_late", late, 4))
    # 3.5 against 4.5 (the two latest before it with two ratings: 5.0 and 4.0): a star below.
    [alert] = await alerts(cid)
    assert alert["kind"] == "rating_drop"
    assert (alert["event_id"], alert["value"], alert["previous_value"]) == ("evt_late", 350, 450)
    assert (alert["threshold"], alert["ratings"], alert["drop"]) == (100, 2, 1.0)
    assert alert["week_starts_on"] == late.date().isoformat()
    await apply(rated(cid, "evt_late", late, 1))  # lower still: raised once per event
    assert len(await alerts(cid)) == 1
    health = await api.get(f"/v1/communities/{cid}/health", headers=actor("owner"))
    assert "rating_drop" in [a["kind"] for a in health.json()["alerts"]]
    # An event published before `event_ends_at` existed is placed by its rating's time.
    await apply(rated(cid, "evt_legacy", None, 5), rated(cid, "evt_legacy", None, 5))
    assert len(await alerts(cid)) == 1
