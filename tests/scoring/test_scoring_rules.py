"""Scoring's rules, measures and clockwork, in-process on SQLite and PostgreSQL.

Events are applied by calling the ledger consumer's batch function (`apply_batch`) on the
service's own sessions, exactly what the consumer does with a `getmany` batch, so these tests
need not wait for the broker; tests/scoring/test_scoring_api.py covers the Kafka path.
"""

import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.common.components import SCORING
from services.common.events.catalogue import (
    ActivityRecorded,
    AttendanceCheckedIn,
    ChallengeCheckedIn,
    ContentApproved,
    ContentPublished,
    DomainEvent,
    FeedbackSubmitted,
    MemberJoined,
    PollVoted,
    RegistrationConfirmed,
    UserErased,
)
from services.common.events.catalogue.vocabulary import ERASED_DISPLAY_NAME
from services.common.events.envelope import CloudEvent
from services.common.membership.repository import change_membership
from services.scoring.engagement import rules as engagement_rules
from services.scoring.ledger import rules as ledger_rules
from services.scoring.ledger.consumer import BatchInboxConsumer
from services.scoring.ledger.handlers import LEDGER_CONSUMER, LEDGER_KEYED_EVENTS, apply_batch
from services.scoring.periods import rules as periods_rules
from services.scoring.periods.rules import Period
from services.scoring.periods.service import close_period
from services.scoring.points import rules as points_rules
from services.scoring.replay import repository as replay_repository
from services.scoring.replay import service as replay
from services.scoring.scoring_rules import rules as scoring_rules
from services.scoring.segments import rules as segments_rules
from services.scoring.segments.rules import Segment
from services.scoring.segments.service import sweep_segments
from services.scoring.tables import membership, messaging
from tests.support import actor, assert_problem, seed_membership, service_client

OWNER = "owner"


class Running:
    app: FastAPI | None = None


async def remember(app: FastAPI) -> None:
    Running.app = app


api = service_client(SCORING, prepare=remember, run_consumers=False, run_clockwork=False)

Community = Callable[..., Awaitable[str]]


@pytest.fixture
def community() -> Community:
    async def create(*users: str) -> str:
        assert Running.app is not None
        cid = f"cmty_{uuid.uuid4().hex[:20]}"
        await seed_membership(
            Running.app, membership, cid, {"reader": "member", **dict.fromkeys(users, "member")}
        )
        return cid

    return create


def app() -> FastAPI:
    assert Running.app is not None
    return Running.app


def envelope(event: DomainEvent, event_id: str | None = None) -> CloudEvent:
    return CloudEvent(
        id=event_id or uuid.uuid4().hex,
        source=f"huoli/{event.source}",
        type=event.type,
        data=event.model_dump(mode="json"),
    )


async def apply(*events: DomainEvent | tuple[DomainEvent, str]) -> None:
    """Apply events as one consumer batch (an event with an id reuses that envelope id)."""
    items = []
    for item in events:
        event, event_id = item if isinstance(item, tuple) else (item, None)
        items.append((envelope(event, event_id), event))
    runtime = app().state.runtime
    async with runtime.unit_of_work() as uow:
        await apply_batch(uow, items)


def recorded(cid: str, member: str, kind: str, at: datetime, **extra: Any) -> ActivityRecorded:
    return ActivityRecorded(
        activity_id=f"act-{uuid.uuid4().hex}",
        community_id=cid,
        member_id=member,
        activity_type=kind,
        occurred_at=at,
        **extra,
    )


async def engagement(client: httpx.AsyncClient, cid: str, member: str) -> dict[str, Any]:
    response = await client.get(
        f"/v1/communities/{cid}/members/{member}/engagement", headers=actor("reader")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def breakdown(body: dict[str, Any]) -> dict[str, tuple[int, float, int, int]]:
    return {
        line["type"]: (line["count"], line["points"], line["capped"], line["cooled_down"])
        for line in body["breakdown"]
    }


async def outbox_events(event_type: str) -> list[dict[str, Any]]:
    runtime = app().state.runtime
    async with runtime.read_sessions() as session:
        table = messaging.outbox
        # In the order they were written: without ORDER BY, PostgreSQL returns a row the relay
        # has since marked published (a new row version) after the rows written later.
        query = select(table.c.payload).order_by(table.c.seq)
        rows = (await session.execute(query)).scalars().all()
    found = [CloudEvent.model_validate_json(payload) for payload in rows]
    return [event.data for event in found if event.type == event_type]


# --- pure rules ------------------------------------------------------------------------------


def test_the_engagement_key_orders_members_as_their_decayed_scores_at_any_time() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    histories = {
        "steady": [(start + timedelta(days=d), 1000) for d in range(0, 30, 3)],
        "burst_long_ago": [(start, 5000), (start + timedelta(hours=1), 5000)],
        "recent": [(start + timedelta(days=29), 3000)],
    }
    keys = {}
    for member, history in histories.items():
        key = engagement_rules.NO_SCORE
        for at, milli in history:
            key = engagement_rules.add_to_key(key, milli, at, 14)
        keys[member] = key
    for days_later in (30, 60, 400, 4000):
        now = start + timedelta(days=days_later)
        direct = {
            member: sum(
                milli / 1000 * 2 ** (-(now - at).total_seconds() / 86400 / 14)
                for at, milli in history
            )
            for member, history in histories.items()
        }
        for member, key in keys.items():
            assert math.isclose(
                engagement_rules.score_at(key, now, 14), direct[member], rel_tol=1e-9
            )
        by_key = sorted(keys, key=keys.__getitem__, reverse=True)
        assert by_key == sorted(direct, key=direct.__getitem__, reverse=True)
    # A new half-life leaves the score as it is at the moment of the change.
    at = start + timedelta(days=31)
    moved = engagement_rules.rekey(keys["steady"], at, 14, 3)
    assert math.isclose(
        engagement_rules.score_at(moved, at, 3), engagement_rules.score_at(keys["steady"], at, 14)
    )
    assert engagement_rules.score_at(moved, at + timedelta(days=3), 3) < engagement_rules.score_at(
        keys["steady"], at + timedelta(days=3), 14
    )


def test_a_late_arrival_is_decided_among_the_entries_around_it() -> None:
    """`redecide`: a cap's day and a cooldown's neighbours, decided again in time order."""
    rules = scoring_rules.Rules(
        weights={}, cooldown_seconds={}, daily_cap={"reaction": 2}, half_life_days=14
    )
    day1 = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    day2 = day1 + timedelta(hours=4)  # the next day, in UTC

    def past(n: int, at: datetime, outcome: str) -> ledger_rules.PastEntry:
        points = 500 if outcome == "credited" else 0
        day = at.date().isoformat()
        return ledger_rules.PastEntry(f"led{n}", f"a{n}", at, day, outcome, points, None)

    posted = [
        past(1, day1 + timedelta(minutes=10), "credited"),
        past(2, day1 + timedelta(minutes=20), "credited"),
        past(3, day1 + timedelta(minutes=30), "capped"),
        past(4, day2, "credited"),
    ]
    late = ledger_rules.Activity("c", "a0", "m", "reaction", day1 + timedelta(minutes=15))
    result = ledger_rules.redecide(posted, [(late, day1.date().isoformat())], rules, "reaction")
    assert result.decisions == {"a0": (ledger_rules.Outcome.CREDITED, 500)}
    # The late one takes the day's second credit: the entry at :20 is capped now, :30 stays so.
    assert [(r.entry.activity_id, r.outcome, r.points_milli) for r in result.revisions] == [
        ("a2", ledger_rules.Outcome.CAPPED, 0)
    ]
    # The state the next batch decides from: the latest credited day and its count.
    assert (result.state.last_credited_at, result.state.cap_day, result.state.cap_day_count) == (
        day2,
        day2.date().isoformat(),
        1,
    )
    key = engagement_rules.add_to_key(engagement_rules.NO_SCORE, 2000, day1, 14)
    both = engagement_rules.add_to_key(key, 500, day2, 14)
    assert math.isclose(engagement_rules.remove_from_key(both, 500, day2, 14), key)
    assert engagement_rules.remove_from_key(key, 2000, day1, 14) == engagement_rules.NO_SCORE


def test_segments_levels_and_periods() -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)

    def segment(score: float, quiet_days: float | None, **kw: Any) -> Segment:
        last = None if quiet_days is None else now - timedelta(days=quiet_days)
        return segments_rules.segment_for(
            score=score, last_active_at=last, now=now, was_top_quarter=kw.get("top", False)
        )

    assert segment(60, 1) == Segment.CORE
    assert segment(20, 1) == Segment.ACTIVE
    assert segment(2, 1) == Segment.CASUAL
    assert segment(2, 10) == Segment.SILENT
    assert segment(2, 10, top=True) == Segment.SLIPPING
    assert segment(2, 40) == Segment.DORMANT
    assert segment(2, 100) == Segment.CHURNED
    assert segment(0, None) == Segment.SILENT
    assert [points_rules.level_for(p * 1000) for p in (0, 9, 10, 50, 149, 150, 40000)] == [
        1,
        1,
        2,
        3,
        3,
        4,
        10,
    ]
    # 2026-11-29 17:00 UTC is Monday 30 November 01:00 in Shanghai: a new day, week (and not
    # a new month) there, still Sunday in UTC.
    late = datetime(2026, 11, 29, 17, tzinfo=UTC)
    shanghai, utc = ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC")
    assert periods_rules.period_key(Period.DAY, late, shanghai) == "2026-11-30"
    assert periods_rules.period_key(Period.WEEK, late, shanghai) == "2026-11-30"
    assert periods_rules.period_key(Period.WEEK, late, utc) == "2026-11-23"
    assert periods_rules.period_key(Period.MONTH, late, shanghai) == "2026-11-01"
    assert periods_rules.period_key(Period.ALL, late, shanghai) == ""


# --- other services' events count as activities ----------------------------------------------


async def test_events_of_other_services_are_credited_once_with_badges(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("ann", "ben", "cat")
    now = datetime.now(UTC)
    published = ContentPublished(
        community_id=cid,
        content_id="cnt_1",
        kind="article",
        title="读书笔记 📚",
        source_kind="member",
        author_member_id="m-ann",
        published_at=now,
    )
    events: list[DomainEvent] = [
        published,
        ContentPublished(  # official content without an author credits nobody
            community_id=cid,
            content_id="cnt_2",
            kind="brief",
            title="早报",
            source_kind="official",
            published_at=now,
        ),
        ContentApproved(
            community_id=cid,
            content_id="cnt_1",
            kind="article",
            source_kind="member",
            author_member_id="m-ann",
            approved_by="owner",
            approved_at=now,
        ),
        ContentApproved(  # a partner's item approved is no UGC
            community_id=cid,
            content_id="cnt_3",
            kind="news",
            source_kind="partner",
            author_member_id="m-cat",
            approved_by="owner",
            approved_at=now,
        ),
        RegistrationConfirmed(
            community_id=cid,
            event_id="evt_1",
            registration_id="reg_1",
            member_id="m-ben",
            confirmed_at=now,
        ),
        AttendanceCheckedIn(
            community_id=cid,
            event_id="evt_1",
            member_id="m-ben",
            event_kind="salon",
            checked_in_at=now,
        ),
        FeedbackSubmitted(
            community_id=cid, event_id="evt_1", member_id="m-ben", rating=5, submitted_at=now
        ),
        MemberJoined(
            community_id=cid,
            member_id="m-dan",
            user_id="dan",
            display_name="Dan",
            status="active",
            role="member",
            invited_by="m-cat",
            joined_at=now,
        ),
        ChallengeCheckedIn(
            community_id=cid,
            challenge_id="chl_1",
            member_id="m-cat",
            checked_in_on=now.date(),
            streak=7,
            checked_in_at=now,
        ),
        PollVoted(
            community_id=cid, content_id="cnt_9", member_id="m-cat", option="A", voted_at=now
        ),
    ]
    ids = [uuid.uuid4().hex for _ in events]
    await apply(*zip(events, ids, strict=True))
    # Redelivered under the same envelope ids (another consumer group, a replay): nothing new.
    await apply(*zip(events, ids, strict=True))

    ann = await engagement(api, cid, "m-ann")
    assert breakdown(ann) == {
        "content_published": (1, 5.0, 0, 0),
        "ugc_approved": (1, 8.0, 0, 0),
    }
    assert ann["badges"] == ["first_ugc"]
    ben = await engagement(api, cid, "m-ben")
    assert breakdown(ben) == {
        "event_attended": (1, 10.0, 0, 0),
        "event_registered": (1, 2.0, 0, 0),
        "feedback": (1, 3.0, 0, 0),
    }
    assert ben["badges"] == ["first_event"]
    assert (ben["points"], ben["level"]) == (15.0, 2)
    cat = await engagement(api, cid, "m-cat")
    assert breakdown(cat) == {
        "checkin": (1, 2.0, 0, 0),
        "invite_accepted": (1, 15.0, 0, 0),
        "poll_vote": (1, 1.0, 0, 0),
    }
    assert cat["badges"] == ["streak_7"]

    awarded = await outbox_events("badge.awarded")
    mine = sorted((e["member_id"], e["badge"]) for e in awarded if e["community_id"] == cid)
    assert mine == [("m-ann", "first_ugc"), ("m-ben", "first_event"), ("m-cat", "streak_7")]
    levels = [e for e in await outbox_events("level.reached") if e["community_id"] == cid]
    assert sorted((e["member_id"], e["level"]) for e in levels) == [
        ("m-ann", 2),
        ("m-ben", 2),
        ("m-cat", 2),
    ]


# --- rules: weights, cooldowns, caps, half-life ----------------------------------------------


async def test_rules_apply_from_then_on_with_cooldowns_and_daily_caps(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("amy")
    path = f"/v1/communities/{cid}/scoring-rules"
    owner = actor(OWNER)
    defaults = (await api.get(path, headers=actor("reader"))).json()
    assert defaults["weights"]["invite_accepted"] == 15.0
    assert defaults["cooldown_seconds"] == {"message": 60}
    assert defaults["half_life_days"] == 14.0

    base = datetime.now(UTC) - timedelta(hours=1)
    # Before the change: a message is worth the default 1.
    await apply(recorded(cid, "m-amy", "message", base - timedelta(minutes=10)))
    body = {
        "weights": {"message": 2, "reply": 4},
        "cooldown_seconds": {"message": 60},
        "daily_cap": {"reply": 2},
        "half_life_days": 7,
    }
    assert (await api.put(path, json=body, headers=actor("reader"))).status_code == 403
    saved = await api.put(path, json=body, headers=owner)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["weights"]["message"], saved.json()["weights"]["share"]) == (2.0, 3.0)
    assert saved.json()["daily_cap"]["reply"] == 2

    await apply(
        recorded(cid, "m-amy", "message", base),
        recorded(cid, "m-amy", "message", base + timedelta(seconds=30)),  # cooled down
        recorded(cid, "m-amy", "message", base + timedelta(seconds=61)),
        *(recorded(cid, "m-amy", "reply", base + timedelta(minutes=i)) for i in range(3)),
    )
    amy = await engagement(api, cid, "m-amy")
    assert breakdown(amy) == {
        "message": (4, 1.0 + 2.0 + 2.0, 0, 1),
        "reply": (3, 8.0, 1, 0),
    }
    assert amy["all_time_points"] == 13.0
    assert amy["decay"]["half_life_days"] == 7.0
    # The score decayed at 14 days' half-life until the change, at 7 since: below the points.
    assert 12.0 < amy["score"] < 13.0

    for bad, field in (
        ({"weights": {"message": -1}}, "message"),
        ({"weights": {"message": 1e308}}, "message"),
        ({"cooldown_seconds": {"message": 2**64}}, "message"),
        ({"half_life_days": 0}, "half_life_days"),
        ({"half_life_days": "NaN"}, "half_life_days"),
        ({"surprise": 1}, "surprise"),
    ):
        assert_problem(await api.put(path, json=bad, headers=owner), 422, field=field)
    unknown = await api.put(path, json={"weights": {"teleport": 1}}, headers=owner)
    assert ["body", "weights", "teleport", "[key]"] in [
        error["loc"] for error in assert_problem(unknown, 422)["errors"]
    ]


async def test_the_same_activities_earn_the_same_whatever_their_ids_and_batches(
    api: httpx.AsyncClient, community: Community
) -> None:
    """Cooldowns and caps see a member's activities in time order (ties by id): ids in any
    order, one batch or many, early or late, the breakdown is the same (issue 20)."""
    users = ("p", "q", "one", "rev", "mix")
    cid = await community(*users)
    rules = {"cooldown_seconds": {"message": 60}, "daily_cap": {"reaction": 2}}
    saved = await api.put(f"/v1/communities/{cid}/scoring-rules", json=rules, headers=actor(OWNER))
    assert saved.status_code == 200, saved.text
    base = datetime.now(UTC).replace(hour=0, minute=30, second=0, microsecond=0)
    if base > datetime.now(UTC) - timedelta(minutes=5):
        base -= timedelta(days=1)

    def at(seconds: int) -> datetime:
        return base + timedelta(seconds=seconds)

    def activity(member: str, activity_id: str, kind: str, seconds: int) -> ActivityRecorded:
        return ActivityRecorded(
            activity_id=activity_id,
            community_id=cid,
            member_id=f"m-{member}",
            activity_type=kind,
            occurred_at=at(seconds),
        )

    # The case: ids in time order for P, not for Q, one batch each.
    await apply(*(activity("p", f"p-{n}", "message", s) for n, s in ((1, 0), (2, 40), (3, 70))))
    await apply(*(activity("q", f"q-{n}", "message", s) for n, s in ((3, 0), (1, 40), (2, 70))))
    for member in ("m-p", "m-q"):
        assert breakdown(await engagement(api, cid, member)) == {"message": (3, 2.0, 0, 1)}

    timeline = [("message", s) for s in (0, 40, 70, 100, 130)] + [
        ("reaction", s) for s in (1, 2, 3)
    ]
    expected = {"message": (5, 3.0, 0, 2), "reaction": (3, 1.0, 1, 0)}

    def posts(member: str, ids: list[str]) -> list[ActivityRecorded]:
        return [
            activity(member, f"{member}-{ids[n]}", kind, s) for n, (kind, s) in enumerate(timeline)
        ]

    # One batch, ids against time order.
    await apply(*posts("one", [f"{9 - n}" for n in range(len(timeline))]))
    # One activity a batch, latest first: every one after the first arrives late.
    for item in reversed(posts("rev", [f"{n}" for n in range(len(timeline))])):
        await apply(item)
    # Mixed batches, shuffled ids: the later half first.
    mixed = posts("mix", ["c", "a", "h", "b", "g", "d", "f", "e"])
    await apply(mixed[3], mixed[4], mixed[7])
    await apply(mixed[0], mixed[6])
    await apply(mixed[5], mixed[1], mixed[2])
    bodies = {member: await engagement(api, cid, f"m-{member}") for member in users[2:]}
    for member, body in bodies.items():
        assert breakdown(body) == expected, member
        assert body["points"] == 4.0, member
    board = await api.get(
        f"/v1/communities/{cid}/leaderboard?period=all&limit=10", headers=actor("reader")
    )
    scores = {item["member_id"]: item["score"] for item in board.json()["items"]}
    assert {scores[f"m-{member}"] for member in users[2:]} == {4.0}

    # What `engagement.credited` announced adds up to each member's points and activities.
    totals: dict[str, list[float]] = {}
    for event in await outbox_events("engagement.credited"):
        if event["community_id"] != cid:
            continue
        for line in event["credited"]:
            total = totals.setdefault(line["member_id"], [0.0, 0])
            total[0] += line["points"]
            total[1] += line["activities"]
            assert line["day"] == base.date().isoformat()
    assert totals["m-p"] == totals["m-q"] == [2.0, 3]
    for member in users[2:]:
        assert totals[f"m-{member}"] == [4.0, 8], member

    runtime = app().state.runtime
    async with runtime.sessions() as session:
        stored = await replay_repository.stored_snapshot(session, cid)
        rebuilt = replay.fold_snapshot(await replay.rebuild_community(session, cid))
    assert replay.differences(stored, rebuilt) == []


async def test_a_late_arrival_keeps_the_day_count_of_a_type_with_only_a_cooldown(
    api: httpx.AsyncClient, community: Community
) -> None:
    """A late message re-decided among its cooldown's neighbours leaves the type's state
    counting every credit of the day, those long before the cooldown too, as the replay does
    (the live count was 2 where the replay counted 3)."""
    cid = await community("late")
    base = datetime.now(UTC).replace(hour=0, minute=30, second=0, microsecond=0)
    if base > datetime.now(UTC) - timedelta(minutes=10):
        base -= timedelta(days=1)

    def message(activity_id: str, seconds: int) -> ActivityRecorded:
        return ActivityRecorded(
            activity_id=activity_id,
            community_id=cid,
            member_id="m-late",
            activity_type="message",
            occurred_at=base + timedelta(seconds=seconds),
        )

    # Credited at 0 and 300 s; then one at 280 s: credited (280 s after 0), and 300 s is
    # cooled down now (20 s after it).
    await apply(message("early", 0), message("later", 300))
    await apply(message("late", 280))
    assert breakdown(await engagement(api, cid, "m-late")) == {"message": (3, 2.0, 0, 1)}
    runtime = app().state.runtime
    async with runtime.sessions() as session:
        stored = await replay_repository.stored_snapshot(session, cid)
        rebuilt = replay.fold_snapshot(await replay.rebuild_community(session, cid))
    assert replay.differences(stored, rebuilt) == []
    day_count = stored["types"][(cid, "m-late", "message")][-1]
    assert day_count == 2  # "early" and "late" on the day


async def test_a_redelivered_batch_changes_nothing_with_inbox_rows_only_for_joins(
    api: httpx.AsyncClient, community: Community
) -> None:
    """A crash between the database commit and the offsets' redelivers the batch: activities
    (no inbox row: the ledger's unique key skips them) and joins (inbox) count once."""
    cid = await community("rd")
    now = datetime.now(UTC)
    joined = MemberJoined(
        community_id=cid,
        member_id="m-rd2",
        user_id="rd2",
        display_name="Rd2",
        status="active",
        role="member",
        invited_by="m-rd",
        joined_at=now,
    )
    events: list[DomainEvent] = [
        recorded(cid, "m-rd", "message", now - timedelta(minutes=5)),
        recorded(cid, "m-rd", "share", now - timedelta(minutes=4)),
        joined,
    ]
    decoded = [(None, envelope(event), event) for event in events]
    runtime = app().state.runtime
    consumer = BatchInboxConsumer(
        spec=LEDGER_CONSUMER,
        batch_handler=apply_batch,
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        tables=messaging,
        kafka=runtime.kafka,
        keyed_types=LEDGER_KEYED_EVENTS,
    )
    for _ in range(2):
        await consumer._apply_batch(decoded)
    body = await engagement(api, cid, "m-rd")
    assert breakdown(body) == {
        "message": (1, 1.0, 0, 0),
        "share": (1, 3.0, 0, 0),
        "invite_accepted": (1, 15.0, 0, 0),
    }
    async with runtime.read_sessions() as session:
        inbox = messaging.inbox
        ids = {str(item[1].id): item[2].type for item in decoded}
        rows = (
            await session.execute(select(inbox.c.event_id).where(inbox.c.event_id.in_(list(ids))))
        ).scalars()
        assert {ids[event_id] for event_id in rows} == {"member.joined"}
    credited = [e for e in await outbox_events("engagement.credited") if e["community_id"] == cid]
    assert len(credited) == 1, "the second pass credits nothing and announces nothing"


# --- points and levels -------------------------------------------------------------------------


async def test_points_are_awarded_and_redeemed_never_below_zero(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("pat")
    path = f"/v1/communities/{cid}/members/m-pat/points"
    owner = actor(OWNER)
    award = await api.post(path, json={"delta": 60, "reason": "志愿者 🙌"}, headers=owner)
    assert award.status_code == 200, award.text
    assert award.json() == {"community_id": cid, "member_id": "m-pat", "points": 60.0, "level": 3}
    redeem = await api.post(path, json={"delta": -45.5, "reason": "兑换 T 恤"}, headers=owner)
    assert redeem.json()["points"] == 14.5
    over = await api.post(path, json={"delta": -15, "reason": "too much"}, headers=owner)
    problem = assert_problem(over, 409)
    assert problem["type"].endswith("/insufficient-points")
    assert (await engagement(api, cid, "m-pat"))["points"] == 14.5
    # A redemption does not take a level away.
    assert (await engagement(api, cid, "m-pat"))["level"] == 3

    assert (
        await api.post(path, json={"delta": 1, "reason": "x"}, headers=actor("reader"))
    ).status_code == 403
    missing = f"/v1/communities/{cid}/members/m-nobody/points"
    nobody = await api.post(missing, json={"delta": 1, "reason": "x"}, headers=owner)
    assert_problem(nobody, 404)
    for bad, field in (
        ({"delta": 0, "reason": "x"}, "delta"),
        ({"delta": 2**64, "reason": "x"}, "delta"),
        ({"delta": "Infinity", "reason": "x"}, "delta"),
        ({"delta": 1, "reason": ""}, "reason"),
        ({"delta": 1, "reason": "x" * 201}, "reason"),
    ):
        assert_problem(await api.post(path, json=bad, headers=owner), 422, field=field)

    changed = [e for e in await outbox_events("points.changed") if e["community_id"] == cid]
    assert [(e["delta"], e["balance"]) for e in changed] == [(60.0, 60.0), (-45.5, 14.5)]
    reached = [e for e in await outbox_events("level.reached") if e["community_id"] == cid]
    assert [(e["previous_level"], e["level"]) for e in reached] == [(1, 3)]


# --- leaderboards ----------------------------------------------------------------------------


async def test_boards_per_period_and_tier_with_own_rank(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("a1", "a2", "b1")
    async with app().state.runtime.sessions() as session:
        for member, tier in (("m-a1", "tier_a"), ("m-a2", "tier_a"), ("m-b1", "tier_b")):
            await change_membership(
                session, membership, community_id=cid, member_id=member, tier_id=tier
            )
        await session.commit()
    now = datetime.now(UTC)
    await apply(
        recorded(cid, "m-a1", "share", now),
        recorded(cid, "m-a2", "reply", now, target_member_id="m-reader"),
        recorded(cid, "m-b1", "checkin", now),
        recorded(cid, "m-reader", "message", now),
        recorded(cid, "m-b1", "invite_accepted", now - timedelta(days=400)),
    )

    async def board(**params: Any) -> dict[str, Any]:
        response = await api.get(
            f"/v1/communities/{cid}/leaderboard", params=params, headers=actor("reader")
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def lines(body: dict[str, Any]) -> list[tuple[int, str, float]]:
        return [(i["rank"], i["member_id"], i["score"]) for i in body["items"]]

    everyone = await board(period="all")
    assert lines(everyone) == [
        (1, "m-b1", 17.0),
        (2, "m-a1", 3.0),
        (3, "m-a2", 2.0),
        # A reply received is worth 1, the reader's own message 1: ties break on member id.
        (4, "m-reader", 2.0),
    ]
    assert everyone["own"] == {
        "rank": 4,
        "member_id": "m-reader",
        "display_name": "reader",
        "score": 2.0,
    }
    assert lines(await board(period="week")) == [
        (1, "m-a1", 3.0),
        (2, "m-a2", 2.0),
        (3, "m-b1", 2.0),
        (4, "m-reader", 2.0),
    ]
    tier_a = await board(period="month", tier_id="tier_a")
    assert (lines(tier_a), tier_a["own"]) == ([(1, "m-a1", 3.0), (2, "m-a2", 2.0)], None)
    assert lines(await board(period="day", limit=1)) == [(1, "m-a1", 3.0)]
    assert_problem(
        await api.get(
            "/v1/communities/cmty_nowhere/leaderboard", headers=actor("x", ["platform_admin"])
        ),
        404,
    )
    bad_tier = await api.get(
        f"/v1/communities/{cid}/leaderboard", params={"tier_id": "a/b"}, headers=actor("reader")
    )
    assert_problem(bad_tier, 422, field="tier_id")


async def test_a_join_the_projection_has_not_met_yet_still_puts_its_points_on_the_tier_board(
    api: httpx.AsyncClient, community: Community
) -> None:
    """The ledger meets a join before the projection's own consumer does (two consumer groups
    of one topic): the invitee's join brings its inviter's `invite_accepted`, and both members'
    tiers are known before those points go onto the boards."""
    cid = await community()
    now = datetime.now(UTC)

    def joined(member: str, invited_by: str | None = None) -> MemberJoined:
        return MemberJoined(
            community_id=cid,
            member_id=f"m-{member}",
            user_id=member,
            display_name=member,
            status="active",
            role="member",
            tier_id="tier_second",
            invited_by=invited_by,
            joined_at=now,
        )

    await apply(joined("inviter"), joined("friend", invited_by="m-inviter"))
    await apply(recorded(cid, "m-friend", "message", now))
    response = await api.get(
        f"/v1/communities/{cid}/leaderboard",
        params={"period": "week", "tier_id": "tier_second"},
        headers=actor("reader"),
    )
    assert response.status_code == 200, response.text
    items = [(item["member_id"], item["score"]) for item in response.json()["items"]]
    assert items == [("m-inviter", 15.0), ("m-friend", 1.0)]


# --- period close, segments, replay, erasure -------------------------------------------------


async def test_a_week_closes_once_with_its_ranking_and_top3_badges(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community(*(f"w{i}" for i in range(5)))
    zone = ZoneInfo("Asia/Shanghai")
    week = periods_rules.period_start_on(
        Period.WEEK, periods_rules.local_day(datetime.now(UTC), zone)
    )
    previous = week - timedelta(days=7)
    at = periods_rules.local_midnight(previous, zone) + timedelta(days=2)
    await apply(
        *(recorded(cid, f"m-w{i}", "checkin", at + timedelta(minutes=i)) for i in range(5)),
        *(recorded(cid, f"m-w{i}", "share", at) for i in range(3)),
        recorded(cid, "m-w4", "invite_accepted", at),
    )

    async def close() -> bool:
        runtime = app().state.runtime
        async with runtime.unit_of_work() as uow:
            return await close_period(
                uow=uow,
                community_id=cid,
                period=Period.WEEK,
                start=previous,
                starts_at=periods_rules.local_midnight(previous, zone),
                ends_at=periods_rules.local_midnight(week, zone),
                top=3,
                now=datetime.now(UTC),
            )

    assert [await close(), await close()] == [True, False]
    [closed] = [
        e for e in await outbox_events("leaderboard.period_closed") if e["community_id"] == cid
    ]
    assert (closed["period"], closed["members_ranked"]) == ("week", 5)
    assert [(e["rank"], e["member_id"], e["score"]) for e in closed["entries"]] == [
        (1, "m-w4", 17.0),
        (2, "m-w0", 5.0),
        (3, "m-w1", 5.0),
    ]
    tops = sorted(
        e["member_id"]
        for e in await outbox_events("badge.awarded")
        if e["community_id"] == cid and e["badge"] == "weekly_top3"
    )
    assert tops == ["m-w0", "m-w1", "m-w4"]


async def test_segments_follow_time_and_a_wau_drop_raises_an_alert(
    api: httpx.AsyncClient, community: Community
) -> None:
    members = [f"s{i}" for i in range(8)]
    cid = await community(*members)
    zone = ZoneInfo("Asia/Shanghai")
    today = periods_rules.local_day(datetime.now(UTC), zone)
    week = periods_rules.period_start_on(Period.WEEK, today)
    two_ago, one_ago = week - timedelta(days=14), week - timedelta(days=7)
    joined_at = periods_rules.local_midnight(two_ago, zone)
    await apply(
        *(
            MemberJoined(
                community_id=cid,
                member_id=f"m-{m}",
                user_id=m,
                display_name=m,
                status="active",
                role="member",
                joined_at=joined_at,
            )
            for m in members
        )
    )
    day_in = timedelta(days=1, hours=3)
    await apply(
        *(
            recorded(cid, f"m-{m}", "message", periods_rules.local_midnight(two_ago, zone) + day_in)
            for m in members
        ),
        *(
            recorded(cid, f"m-{m}", "reply", periods_rules.local_midnight(one_ago, zone) + day_in)
            for m in members[:4]
        ),
    )
    runtime = app().state.runtime
    async with runtime.unit_of_work() as uow:
        assert await close_period(
            uow=uow,
            community_id=cid,
            period=Period.WEEK,
            start=one_ago,
            starts_at=periods_rules.local_midnight(one_ago, zone),
            ends_at=periods_rules.local_midnight(week, zone),
            top=10,
            now=datetime.now(UTC),
        )
        # Sweeping 40 days on: everyone has gone quiet long enough to be dormant.
        changed = await sweep_segments(
            uow=uow, community_id=cid, now=datetime.now(UTC) + timedelta(days=40)
        )
    assert changed == len(members)
    [alert] = [e for e in await outbox_events("health.alert_raised") if e["community_id"] == cid]
    assert (alert["kind"], alert["previous_value"], alert["value"], alert["drop"]) == (
        "wau_drop",
        8,
        4,
        0.5,
    )
    health = await api.get(f"/v1/communities/{cid}/health", headers=actor(OWNER))
    assert health.status_code == 200, health.text
    assert [a["week_starts_on"] for a in health.json()["alerts"]] == [one_ago.isoformat()]
    assert (
        await api.get(f"/v1/communities/{cid}/health", headers=actor("reader"))
    ).status_code == 403

    metrics = await api.get(
        f"/v1/communities/{cid}/metrics",
        params={
            "from": two_ago.isoformat(),
            "to": (week - timedelta(days=1)).isoformat(),
            "granularity": "week",
        },
        headers=actor(OWNER),
    )
    assert metrics.status_code == 200, metrics.text
    first, second = metrics.json()["items"]
    assert (first["members"], first["new"], first["wau"], first["active_rate"]) == (8, 8, 8, 1.0)
    assert (second["members"], second["new"], second["wau"], second["active_rate"]) == (
        8,
        0,
        4,
        0.5,
    )
    # 4 replies per 0 posts that week: no rate; the week before, 8 messages and no replies.
    assert (first["interaction_rate"], second["interaction_rate"]) == (0.0, None)
    cohort = metrics.json()["retention"][0]
    assert (cohort["cohort_starts_on"], cohort["size"], cohort["weeks"][0]) == (
        two_ago.isoformat(),
        8,
        0.5,
    )
    bad = await api.get(
        f"/v1/communities/{cid}/metrics",
        params={"from": "2026-12-01", "to": "2026-11-01"},
        headers=actor(OWNER),
    )
    assert_problem(bad, 422)
    for params, field in (({"from": "0001-01-01"}, "from"), ({"to": "9999-12-31"}, "to")):
        edge = await api.get(f"/v1/communities/{cid}/metrics", params=params, headers=actor(OWNER))
        assert_problem(edge, 422, field=field)


async def test_history_from_before_a_join_makes_members_of_the_weeks_it_is_in(
    api: httpx.AsyncClient, community: Community
) -> None:
    """Members who join now with activities backdated over the past weeks (imported history,
    as `huoli seed` posts it) count as members of every week they were active in."""
    names = ["early", "earlier", "fresh"]
    cid = await community(*names)
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.now(UTC)
    week = periods_rules.period_start_on(Period.WEEK, periods_rules.local_day(now, zone))
    two_ago, one_ago = week - timedelta(days=14), week - timedelta(days=7)
    await apply(
        *(
            MemberJoined(
                community_id=cid,
                member_id=f"m-{name}",
                user_id=name,
                display_name=name,
                status="active",
                role="member",
                joined_at=now,
            )
            for name in names
        )
    )
    day_in = timedelta(days=1, hours=3)
    await apply(
        recorded(cid, "m-early", "message", periods_rules.local_midnight(one_ago, zone) + day_in),
        *(
            recorded(
                cid, "m-earlier", "message", periods_rules.local_midnight(start, zone) + day_in
            )
            for start in (two_ago, one_ago)
        ),
    )
    metrics = await api.get(
        f"/v1/communities/{cid}/metrics",
        params={"from": two_ago.isoformat(), "to": week.isoformat(), "granularity": "week"},
        headers=actor(OWNER),
    )
    assert metrics.status_code == 200, metrics.text
    items = metrics.json()["items"]
    figures = [
        (item["starts_on"], item["members"], item["new"], item["wau"], item["growth_rate"])
        for item in items
    ]
    # Joined this week, but members since their first activity; only `fresh` is new this week.
    assert figures == [
        (two_ago.isoformat(), 1, 1, 1, None),
        (one_ago.isoformat(), 2, 1, 2, 1.0),
        (week.isoformat(), 3, 1, 0, 0.5),
    ]
    assert all(item["members"] >= item["wau"] for item in items)
    assert [item["active_rate"] for item in items] == [1.0, 1.0, 0.0]


async def test_replay_rebuilds_every_score_identically(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("r1", "r2", "r3")
    now = datetime.now(UTC)
    await apply(
        *(
            recorded(cid, "m-r1", "message", now - timedelta(days=d, seconds=s))
            for d in range(3)
            for s in (0, 20, 90)
        ),
        recorded(cid, "m-r2", "reaction", now, target_member_id="m-r1"),
        recorded(cid, "m-r3", "reply", now - timedelta(days=30), target_member_id="m-r2"),
    )
    owner = actor(OWNER)
    await api.post(
        f"/v1/communities/{cid}/members/m-r2/points",
        json={"delta": 7, "reason": "gift"},
        headers=owner,
    )
    saved = await api.put(
        f"/v1/communities/{cid}/scoring-rules", json={"half_life_days": 3}, headers=owner
    )
    assert saved.status_code == 200
    await apply(
        recorded(cid, "m-r1", "share", now),
        recorded(cid, "m-r3", "checkin", now - timedelta(hours=5)),
    )
    await api.post(
        f"/v1/communities/{cid}/members/m-r3/points",
        json={"delta": 1, "reason": "x"},
        headers=owner,
    )

    runtime = app().state.runtime
    async with runtime.sessions() as session:
        stored = await replay_repository.stored_snapshot(session, cid)
        rebuilt = replay.fold_snapshot(await replay.rebuild_community(session, cid))
    assert stored["scores"], "the live run stored scores"
    assert stored["engagement_buckets"], "and engagement buckets"
    assert replay.differences(stored, rebuilt) == []
    before = await engagement(api, cid, "m-r1")
    async with runtime.sessions() as session:
        await replay_repository.replace_derived(
            session, cid, await replay.rebuild_community(session, cid)
        )
        await session.commit()
    async with runtime.sessions() as session:
        assert await replay_repository.stored_snapshot(session, cid) == stored
    after = await engagement(api, cid, "m-r1")
    assert (after["breakdown"], after["rank"], after["points"]) == (
        before["breakdown"],
        before["rank"],
        before["points"],
    )


async def test_erasure_anonymises_names_and_keeps_counts(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community("eva")
    await apply(recorded(cid, "m-eva", "share", datetime.now(UTC), attrs={"text": "私人信息"}))
    await apply(recorded(cid, "m-bob", "message", datetime.now(UTC)))
    await apply(
        UserErased(community_id=cid, member_id="m-eva", user_id="eva", erased_at=datetime.now(UTC))
    )
    eva = await engagement(api, cid, "m-eva")
    assert eva["display_name"] == ERASED_DISPLAY_NAME
    assert (eva["all_time_points"], eva["activity_count"]) == (3.0, 1)
    # Erasure ends the membership: the anonymous member stands on no board (issue 21).
    board = await api.get(f"/v1/communities/{cid}/leaderboard", headers=actor("reader"))
    assert [item["member_id"] for item in board.json()["items"]] == ["m-bob"]


async def test_what_arrives_after_an_erasure_or_a_leave_puts_no_one_back_on_a_board(
    api: httpx.AsyncClient, community: Community
) -> None:
    """The ledger consumer takes several topics: a registration or a late message of a member
    can be applied after their erasure (or after the projection saw them leave). It counts in
    their score, but they stand on no board, and the all-time buckets do not count them."""
    cid = await community("eva", "lea", "ann")
    now = datetime.now(UTC)
    await apply(
        recorded(cid, "m-eva", "share", now),
        recorded(cid, "m-ann", "share", now),
        recorded(cid, "m-reader", "message", now),
    )
    # Erasure reaches the ledger before the membership consumer follows `member.left`.
    await apply(UserErased(community_id=cid, member_id="m-eva", user_id="eva", erased_at=now))
    # Lea's leave reached the projection before anything of hers reached the ledger.
    async with app().state.runtime.sessions() as session:
        await change_membership(
            session, membership, community_id=cid, member_id="m-lea", status="left"
        )
        await session.commit()
    registered = RegistrationConfirmed(
        registration_id="reg-eva",
        event_id="evt-1",
        community_id=cid,
        member_id="m-eva",
        confirmed_at=now,
    )
    await apply(
        registered,
        recorded(cid, "m-eva", "message", now - timedelta(hours=1)),  # a late arrival
        recorded(cid, "m-lea", "share", now),
    )
    eva = await engagement(api, cid, "m-eva")
    assert (eva["all_time_points"], eva["activity_count"]) == (6.0, 3)  # counted all the same
    assert (await engagement(api, cid, "m-lea"))["activity_count"] == 1
    for period in ("all", "week", "day"):
        board = await api.get(
            f"/v1/communities/{cid}/leaderboard",
            params={"period": period},
            headers=actor("reader"),
        )
        assert [item["member_id"] for item in board.json()["items"]] == ["m-ann", "m-reader"]
    # Below the top, the reader's rank is counted from the all-time buckets: Eva is not in them.
    top = await api.get(
        f"/v1/communities/{cid}/leaderboard",
        params={"period": "all", "limit": 1},
        headers=actor("reader"),
    )
    assert top.json()["own"]["rank"] == 2, top.text


async def test_an_enforcer_reads_participation_and_a_plain_member_does_not(
    api: httpx.AsyncClient, community: Community
) -> None:
    cid = await community()
    await seed_membership(app(), membership, cid, {"guard": "enforcer", "reader": "member"})
    for path in ("metrics", "health"):
        url = f"/v1/communities/{cid}/{path}"
        assert (await api.get(url, headers=actor("guard"))).status_code == 200, path
        assert_problem(await api.get(url, headers=actor("reader")), 403)
