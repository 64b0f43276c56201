"""Posting a batch of activities to the ledger and every measure, in the caller's transaction."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import on_commit
from services.common.events.catalogue import (
    BadgeAwarded,
    CreditedDay,
    DomainEvent,
    EngagementCredited,
    LevelReached,
    SegmentChanged,
)
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.scoring.badge_rules.ledger_hook import award_by_rules
from services.scoring.ledger import repository
from services.scoring.ledger.rules import (
    Activity,
    Fold,
    LedgerRow,
    Milestone,
    Redecision,
    ScoreState,
    decide,
    fold_entry,
    has_order_rules,
    reach_seconds,
    redecide,
    revise,
)
from services.scoring.periods import rules as periods_rules
from services.scoring.points import rules as points_rules
from services.scoring.scoring_rules.rules import Rules
from services.scoring.segments.rules import resegment

MILESTONE_NAMESPACE = uuid.UUID("a8f3c2de-5b61-4f0e-8d7a-1c2b3e4f5a69")


def milestone_event_id(*parts: object) -> str:
    """Event ids derived from what the event says, so a batch applied twice (the inbox makes
    that impossible, but a replay of another kind might not) announces nothing twice."""
    return uuid.uuid5(MILESTONE_NAMESPACE, "/".join(str(part) for part in parts)).hex


async def post_activities(  # noqa: PLR0915 - the batch's one pipeline, step by step
    *, uow: UnitOfWork, activities: Sequence[Activity], now: datetime
) -> int:
    """Post each activity not yet in its community's ledger; returns how many were posted.

    State for the whole batch is read in a handful of IN queries, folded in memory in order,
    and written back in one upsert per table; badges, levels and segment changes go to the
    outbox in the same transaction.
    """
    session = uow.session
    unique: dict[tuple[str, str], Activity] = {}
    for activity in activities:
        unique.setdefault((activity.community_id, activity.activity_id), activity)
    if not unique:
        return 0
    already = await repository.posted_before(session, list(unique))
    fresh = [activity for key, activity in unique.items() if key not in already]
    if not fresh:
        return 0
    communities = {activity.community_id for activity in fresh}
    rules_of = await repository.load_rules(session, communities)
    zones = {
        community_id: periods_rules.zone(name)
        for community_id, name in (
            await repository.community_timezones(session, communities)
        ).items()
    }
    pairs = sorted({(activity.community_id, activity.member_id) for activity in fresh})
    tiers, gone = await repository.member_places(session, pairs)
    fold = Fold(
        scores=await repository.load_scores(session, pairs, lock=True),
        types=await repository.load_type_stats(
            session, [(a.community_id, a.member_id, a.activity_type) for a in fresh]
        ),
        badges=await repository.load_badges(session, pairs),
    )
    for community_id, member_id in pairs:
        if (community_id, member_id) not in fold.scores:
            fold.scores[(community_id, member_id)] = ScoreState(
                community_id, member_id, half_life_days=rules_of[community_id].half_life_days
            )
    days = local_days(fresh, zones)
    # Rules that depend on a member's other activities (cooldowns, caps) see them in time
    # order, ties by id, whatever order they were posted or batched in.
    fresh.sort(key=lambda activity: (activity.occurred_at, activity.activity_id))
    redecided = await _redecide_late(session, fold, fresh, rules_of, days)
    seq = await repository.last_seq(session)
    # One time-ordered id for the batch, numbered within it: unique, and cheaper than one each.
    batch_id = new_id("led")
    rows: list[LedgerRow] = []
    for position, activity in enumerate(fresh):
        seq += 1
        community_rules = rules_of[activity.community_id]
        occurred_at = activity.occurred_at.astimezone(UTC)
        local_day = days[(activity.community_id, activity.activity_id)]
        key = (activity.community_id, activity.member_id, activity.activity_type)
        if key in redecided:
            outcome, credited = redecided[key].decisions[activity.activity_id]
        else:
            outcome, credited = decide(fold, activity, community_rules, local_day)
        row = LedgerRow(
            id=f"{batch_id}{position:05d}",
            activity_id=activity.activity_id,
            community_id=activity.community_id,
            member_id=activity.member_id,
            activity_type=activity.activity_type,
            points_milli=credited,
            occurred_at=occurred_at,
            recorded_at=now,
            target_member_id=activity.target_member_id,
            content_id=activity.content_id,
            attrs=activity.attrs,
            seq=seq,
            outcome=outcome.value,
            half_life_days=fold.scores[(activity.community_id, activity.member_id)].half_life_days,
            tier_id=tiers.get((activity.community_id, activity.member_id)),
            local_day=local_day,
        )
        fold_entry(fold, row, announce=True)
        rows.append(row)
    credited_days = credited_by_day(rows)
    revised: list[tuple[str, str, int]] = []
    for (community_id, member_id, activity_type), redecision in redecided.items():
        for revision in redecision.revisions:
            delta = revise(fold, community_id, member_id, activity_type, revision)
            revised.append((revision.entry.id, revision.outcome.value, revision.points_milli))
            add_credit(
                credited_days,
                community_id,
                member_id,
                revision.entry.local_day,
                delta,
                0,
                revision.entry.occurred_at,
            )
        state = fold.types[(community_id, member_id, activity_type)]
        final = redecision.state
        state.last_credited_at = final.last_credited_at
        state.cap_day, state.cap_day_count = final.cap_day, final.cap_day_count
    if gone:
        # A member who left or was erased stands on no board (erasure took them off): what
        # still arrives for them (in flight from another topic, or a late arrival re-decided)
        # counts in their score but must not put them back.
        fold.board_added = {
            key: points for key, points in fold.board_added.items() if (key[0], key[4]) not in gone
        }
    # Operators' badge rules, against the state the batch left (services.scoring.badge_rules).
    await award_by_rules(session, fold, rows)
    segment_changes = resegment(fold.scores.values(), now=now)
    await repository.write_fold(session, fold, rows)
    await repository.revise_entries(session, revised)
    await announce(uow, fold.milestones, segment_changes, now=now)
    await add_events(uow, [(event, None) for event in engagement_credited(credited_days, now)])
    return len(rows)


# Every zone's offset from UTC is a whole number of quarter hours since 1970 (the local
# midnights fall on UTC quarter hours), so one conversion serves a quarter hour of activities.
QUARTER_HOUR = 900
CACHED_FROM = 0  # the epoch: before it, some zones kept local mean time


def local_days(
    activities: Sequence[Activity], zones: Mapping[str, ZoneInfo]
) -> dict[tuple[str, str], str]:
    """Each activity's local day in its community's timezone, by (community, activity id)."""
    default = periods_rules.zone(None)
    found: dict[tuple[str, str], str] = {}
    known: dict[tuple[ZoneInfo, int], str] = {}
    for activity in activities:
        zone = zones.get(activity.community_id) or default
        instant = activity.occurred_at.timestamp()
        key = (zone, int(instant // QUARTER_HOUR))
        day = known.get(key) if instant >= CACHED_FROM else None
        if day is None:
            day = periods_rules.local_day(activity.occurred_at.astimezone(UTC), zone).isoformat()
            if instant >= CACHED_FROM:
                known[key] = day
        found[(activity.community_id, activity.activity_id)] = day
    return found


async def _redecide_late(
    session: AsyncSession,
    fold: Fold,
    fresh: Sequence[Activity],
    rules_of: dict[str, Rules],
    days: dict[tuple[str, str], str],
) -> dict[tuple[str, str, str], Redecision]:
    """Decide again, with the batch, the posted entries a late arrival lands among: an activity
    earlier than its member's last credited one of a type whose worth depends on the others."""
    late: dict[tuple[str, str, str], datetime] = {}
    for activity in fresh:
        key = (activity.community_id, activity.member_id, activity.activity_type)
        state = fold.types.get(key)
        if (
            key not in late
            and state is not None
            and state.last_credited_at is not None
            and activity.occurred_at < state.last_credited_at
            and has_order_rules(rules_of[activity.community_id], activity.activity_type)
        ):
            late[key] = activity.occurred_at  # the batch is in time order: its earliest
    if not late:
        return {}
    since = {
        key: first - timedelta(seconds=reach_seconds(rules_of[key[0]], key[2]))
        for key, first in late.items()
    }
    past = await repository.entries_since(session, since)
    of_key: dict[tuple[str, str, str], list[tuple[Activity, str]]] = {key: [] for key in late}
    for activity in fresh:
        key = (activity.community_id, activity.member_id, activity.activity_type)
        if key in of_key:
            of_key[key].append((activity, days[(activity.community_id, activity.activity_id)]))
    return {
        key: redecide(past.get(key, []), activities, rules_of[key[0]], key[2])
        for key, activities in of_key.items()
    }


CreditedDays = dict[tuple[str, str, str], list[Any]]


def add_credit(  # noqa: PLR0917 - one line of the tally, as its key and values
    days: CreditedDays,
    community_id: str,
    member_id: str,
    local_day: str,
    points_milli: int,
    activities: int,
    at: datetime,
) -> None:
    line = days.get((community_id, member_id, local_day))
    if line is None:
        days[(community_id, member_id, local_day)] = [points_milli, activities, at]
        return
    line[0] += points_milli
    line[1] += activities
    line[2] = max(line[2], at)


def credited_by_day(rows: Sequence[LedgerRow]) -> CreditedDays:
    """What a batch's entries credited, per community, member and local day: [points in
    thousandths, activities posted (whatever the rules made of them), the latest one's time]."""
    days: CreditedDays = {}
    for row in rows:
        add_credit(
            days,
            row.community_id,
            row.member_id,
            row.local_day,
            row.points_milli,
            1,
            row.occurred_at,
        )
    return days


def engagement_credited(days: CreditedDays, now: datetime) -> list[EngagementCredited]:
    """One `engagement.credited` per community for a batch."""
    per_community: dict[str, list[CreditedDay]] = {}
    for (community_id, member_id, local_day), (points_milli, activities, at) in sorted(
        days.items(), key=lambda item: item[0]
    ):
        if not points_milli and not activities:
            continue
        per_community.setdefault(community_id, []).append(
            CreditedDay(
                member_id=member_id,
                day=date.fromisoformat(local_day),
                points=points_rules.from_milli(points_milli),
                activities=activities,
                last_activity_at=at,
            )
        )
    return [
        EngagementCredited(community_id=community_id, credited=credited, credited_at=now)
        for community_id, credited in per_community.items()
    ]


async def add_events(
    uow: UnitOfWork,
    events: Sequence[tuple[DomainEvent, str | None]],
    *,
    time_of: Callable[[Any], datetime] | None = None,
) -> None:
    """Write many events into the outbox with one multi-row INSERT, as `Outbox.add` writes one
    (same envelope, topic and key): a batch that moves thousands of members into a segment
    must not cost thousands of statements."""
    if not events:
        return
    outbox = uow.outbox
    rows = outbox.rows(events, time_of=time_of)
    await repository.insert_rows(uow.session, outbox.table, rows)
    on_commit(uow.session, outbox.committed.set)


async def announce(
    uow: UnitOfWork,
    milestones: Sequence[Milestone],
    segment_changes: Sequence[SegmentChanged],
    *,
    now: datetime,
) -> None:
    events: list[tuple[DomainEvent, str | None]] = []
    for milestone in milestones:
        event: DomainEvent
        if milestone.kind == "badge":
            assert milestone.badge is not None
            event = BadgeAwarded(
                community_id=milestone.community_id,
                member_id=milestone.member_id,
                badge=str(milestone.badge),
                awarded_at=milestone.at or now,
            )
            event_id = milestone_event_id(
                milestone.community_id, milestone.member_id, "badge", milestone.badge
            )
        else:
            assert milestone.level is not None
            assert milestone.previous_level is not None
            event = LevelReached(
                community_id=milestone.community_id,
                member_id=milestone.member_id,
                level=milestone.level,
                previous_level=milestone.previous_level,
                points=points_rules.from_milli(milestone.level_milli),
                reached_at=milestone.at or now,
            )
            event_id = milestone_event_id(
                milestone.community_id, milestone.member_id, "level", milestone.level
            )
        events.append((event, event_id))
    events.extend((change, None) for change in segment_changes)
    await add_events(uow, events)


async def announce_level(
    uow: UnitOfWork,
    *,
    community_id: str,
    member_id: str,
    level: int,
    previous_level: int,
    level_milli: int,
    at: datetime,
) -> None:
    await announce(
        uow,
        [
            Milestone(
                kind="level",
                community_id=community_id,
                member_id=member_id,
                level=level,
                previous_level=previous_level,
                level_milli=level_milli,
                at=at,
            )
        ],
        [],
        now=at,
    )
