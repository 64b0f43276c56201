"""Segments: where a member stands from their decayed score and how long they have been quiet.

Pure functions and constants; no SQL, no FastAPI.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from services.common.events.catalogue import SegmentChanged, vocabulary
from services.scoring.engagement import rules as engagement_rules
from services.scoring.engagement.rules import SECONDS_PER_DAY
from services.scoring.ledger.rules import ScoreState

# The shared vocabulary's: the members service filters members by it too.
Segment = vocabulary.Segment


CORE_SCORE = 50.0


ACTIVE_SCORE = 10.0


RECENT_DAYS = 7


SILENT_DAYS = 28


DORMANT_DAYS = 90


TOP_QUARTER = 0.25


# A member is a newcomer for this long after joining: long enough for a fortnightly rhythm
# (a weekly event, two weekends) to show, which a score built from a few days cannot.
NEWCOMER_PERIOD = timedelta(days=14)


def is_newcomer(joined_at: datetime | None, now: datetime) -> bool:
    """Within the first 14 days of the membership (a join stamped a little in the future, by
    a skewed clock, is new too)."""
    return joined_at is not None and now - joined_at < NEWCOMER_PERIOD


def segment_for(
    *,
    score: float,
    last_active_at: datetime | None,
    now: datetime,
    was_top_quarter: bool,
    belongs: bool = True,
    joined_at: datetime | None = None,
) -> Segment:
    """The segment of a member, from their decayed score and how long they have been quiet.

    Precedence: `churned` for a member who no longer belongs; then `newcomer` for the first
    14 days after joining, whatever the score says (a few days of activity rank a newcomer
    neither core nor silent fairly, and newcomers are greeted and onboarded, not won back);
    then the score and the quiet days decide as before.
    """
    if belongs and is_newcomer(joined_at, now):
        return Segment.NEWCOMER
    return _by_activity(
        score=score,
        last_active_at=last_active_at,
        now=now,
        was_top_quarter=was_top_quarter,
        belongs=belongs,
    )


def _by_activity(
    *,
    score: float,
    last_active_at: datetime | None,
    now: datetime,
    was_top_quarter: bool,
    belongs: bool,
) -> Segment:
    if last_active_at is None:
        return Segment.SILENT if belongs else Segment.CHURNED
    quiet_days = (now - last_active_at).total_seconds() / SECONDS_PER_DAY
    if not belongs or quiet_days > DORMANT_DAYS:
        return Segment.CHURNED
    if quiet_days > SILENT_DAYS:
        return Segment.DORMANT
    if quiet_days > RECENT_DAYS:
        return Segment.SLIPPING if was_top_quarter else Segment.SILENT
    if score >= CORE_SCORE:
        return Segment.CORE
    return Segment.ACTIVE if score >= ACTIVE_SCORE else Segment.CASUAL


def resegment(scores: Iterable[ScoreState], *, now: datetime) -> list[SegmentChanged]:
    """Re-derive the segment of each touched member; the changes, as events."""
    changes: list[SegmentChanged] = []
    for state in scores:
        # A newcomer stays one until the sweep, which knows when they joined, ends it (the
        # ledger's state does not carry the join, and re-deriving here would flap).
        if not state.touched or state.segment == Segment.NEWCOMER:
            continue
        score = engagement_rules.score_at(state.engagement_key, now, state.half_life_days)
        segment = segment_for(
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
