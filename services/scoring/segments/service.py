"""Sweeping segments as time passes: quiet members slip, go dormant, churn."""

import math
from collections.abc import Sequence
from datetime import datetime

from services.common.db_ops import insert_if_absent
from services.common.events.catalogue import SegmentChanged
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.scoring.engagement import rules as engagement_rules
from services.scoring.ledger.service import announce
from services.scoring.points import repository as points_repository
from services.scoring.segments import repository, rules
from services.scoring.tables import score_table


async def sweep_segments(*, uow: UnitOfWork, community_id: str, now: datetime) -> int:
    """Re-derive every member's segment as time passes (quiet members slip, go dormant,
    churn); the top quarter by engagement is remembered for `slipping`. Returns the number of
    changes, each announced as `segment.changed`."""
    session = uow.session
    rows = await repository.segment_rows(session, community_id=community_id)
    scored = sum(1 for row in rows if row.engagement_key > engagement_rules.NO_SCORE)
    top_quarter = math.ceil(scored * rules.TOP_QUARTER)
    changes: list[SegmentChanged] = []
    updates = []
    for position, row in enumerate(rows):
        score = engagement_rules.score_at(row.engagement_key, now, row.half_life_days)
        recent = (
            row.last_active_at is not None
            and (now - row.last_active_at).total_seconds()
            <= rules.RECENT_DAYS * engagement_rules.SECONDS_PER_DAY
        )
        # Only while active does a member's standing decide whether they were "top".
        was_top = (position < top_quarter and score > 0) if recent else row.was_top_quarter
        segment = rules.segment_for(
            score=score,
            last_active_at=row.last_active_at,
            now=now,
            was_top_quarter=was_top,
            belongs=row.status is None or row.status in BELONGING_STATUSES,
            # Only the join makes a newcomer (mark_newcomers); the sweep ends the period.
            joined_at=row.joined_at if row.segment == rules.Segment.NEWCOMER else None,
        ).value
        if segment != row.segment or was_top != row.was_top_quarter:
            updates.append(
                {"c": community_id, "m": row.member_id, "segment": segment, "top": was_top}
            )
        if segment != row.segment:
            changes.append(
                SegmentChanged(
                    community_id=community_id,
                    member_id=row.member_id,
                    previous_segment=row.segment,
                    segment=segment,
                    score=round(score, 3),
                    changed_at=now,
                )
            )
    if updates:
        await repository.save_segments(session, updates)
    await announce(uow, [], changes, now=now)
    return len(changes)


async def mark_newcomers(
    *, uow: UnitOfWork, joins: Sequence[tuple[str, str, datetime]], now: datetime
) -> int:
    """Make members who joined within the newcomer period `newcomer` (joins as `(community,
    member, joined_at)`): a score row is created for one the ledger never scored, so the
    segment is stored and listed like any other. Each change is announced as
    `segment.changed`; the sweep ends the period."""
    session = uow.session
    changes: list[SegmentChanged] = []
    for community_id, member_id, joined_at in joins:
        if not rules.is_newcomer(joined_at, now):
            continue
        row = points_repository.new_score_row(community_id, member_id)
        row["segment"] = rules.Segment.NEWCOMER.value
        if await insert_if_absent(session, score_table, row):
            previous, score = "silent", 0.0
        else:
            found = await repository.segment_of(
                session, community_id=community_id, member_id=member_id
            )
            if found is None or found.segment == rules.Segment.NEWCOMER:
                continue
            previous = found.segment
            score = engagement_rules.score_at(found.engagement_key, now, found.half_life_days)
            await repository.save_segments(
                session,
                [
                    {
                        "c": community_id,
                        "m": member_id,
                        "segment": rules.Segment.NEWCOMER.value,
                        "top": found.was_top_quarter,
                    }
                ],
            )
        changes.append(
            SegmentChanged(
                community_id=community_id,
                member_id=member_id,
                previous_segment=previous,
                segment=rules.Segment.NEWCOMER.value,
                score=round(score, 3),
                changed_at=now,
            )
        )
    await announce(uow, [], changes, now=now)
    return len(changes)
