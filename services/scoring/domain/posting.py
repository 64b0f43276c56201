"""Posting a batch of activities to the ledger and every measure, in the caller's transaction."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from services.common.db import on_commit
from services.common.events.catalogue import (
    BadgeAwarded,
    DomainEvent,
    LevelReached,
    SegmentChanged,
)
from services.common.ids import new_id
from services.common.unit_of_work import UnitOfWork
from services.scoring.domain import rules
from services.scoring.domain.ledger import (
    Activity,
    Fold,
    LedgerRow,
    Milestone,
    ScoreState,
    decide,
    fold_entry,
)
from services.scoring.storage import batches

MILESTONE_NAMESPACE = uuid.UUID("a8f3c2de-5b61-4f0e-8d7a-1c2b3e4f5a69")


def milestone_event_id(*parts: object) -> str:
    """Event ids derived from what the event says, so a batch applied twice (the inbox makes
    that impossible, but a replay of another kind might not) announces nothing twice."""
    return uuid.uuid5(MILESTONE_NAMESPACE, "/".join(str(part) for part in parts)).hex


async def post_activities(*, uow: UnitOfWork, activities: Sequence[Activity], now: datetime) -> int:
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
    already = await batches.posted_before(session, list(unique))
    fresh = [activity for key, activity in unique.items() if key not in already]
    if not fresh:
        return 0
    communities = {activity.community_id for activity in fresh}
    rules_of = await batches.load_rules(session, communities)
    zones = {
        community_id: rules.zone(name)
        for community_id, name in (await batches.community_timezones(session, communities)).items()
    }
    pairs = sorted({(activity.community_id, activity.member_id) for activity in fresh})
    tiers = await batches.member_tiers(session, pairs)
    fold = Fold(
        scores=await batches.load_scores(session, pairs, lock=True),
        types=await batches.load_type_stats(
            session, [(a.community_id, a.member_id, a.activity_type) for a in fresh]
        ),
        badges=await batches.load_badges(session, pairs),
    )
    for community_id, member_id in pairs:
        if (community_id, member_id) not in fold.scores:
            fold.scores[(community_id, member_id)] = ScoreState(
                community_id, member_id, half_life_days=rules_of[community_id].half_life_days
            )
    seq = await batches.last_seq(session)
    # One time-ordered id for the batch, numbered within it: unique, and cheaper than one each.
    batch_id = new_id("led")
    rows: list[LedgerRow] = []
    for position, activity in enumerate(fresh):
        seq += 1
        community_rules = rules_of[activity.community_id]
        occurred_at = activity.occurred_at.astimezone(UTC)
        timezone = zones.get(activity.community_id) or rules.zone(None)
        local_day = rules.local_day(occurred_at, timezone).isoformat()
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
    segment_changes = resegment(fold.scores.values(), now=now)
    await batches.write_fold(session, fold, rows)
    await announce(uow, fold.milestones, segment_changes, now=now)
    return len(rows)


def resegment(scores: Iterable[ScoreState], *, now: datetime) -> list[SegmentChanged]:
    """Re-derive the segment of each touched member; the changes, as events."""
    changes: list[SegmentChanged] = []
    for state in scores:
        if not state.touched:
            continue
        score = rules.score_at(state.engagement_key, now, state.half_life_days)
        segment = rules.segment_for(
            score=score,
            last_active_at=state.last_active_at,
            now=now,
            was_top_quarter=state.was_top_quarter,
        )
        if segment.value != state.segment:
            changes.append(
                SegmentChanged(
                    community_id=state.community_id,
                    member_id=state.member_id,
                    previous_segment=state.segment,
                    segment=segment.value,
                    score=round(score, 3),
                    changed_at=now,
                )
            )
            state.segment = segment.value
    return changes


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
    await batches.insert_rows(uow.session, outbox.table, rows)
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
                points=rules.from_milli(milestone.level_milli),
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
