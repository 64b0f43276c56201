"""A member's engagement: everything scoring knows of them, with how each number came about."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import NotFound
from services.scoring.badges import repository as badges_repository
from services.scoring.engagement import repository, rules
from services.scoring.engagement.rules import BreakdownLine, Decay, Engagement
from services.scoring.points import rules as points_rules
from services.scoring.scoring_rules.service import community_half_life
from services.scoring.segments import rules as segments_rules


class MemberNotFound(NotFound):
    slug = "member-not-found"

    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"No member {member_id!r} is known to scoring in this community.", member_id=member_id
        )


async def get_engagement(
    *, session: AsyncSession, community_id: str, member_id: str, now: datetime
) -> Engagement:
    """Everything scoring knows of a member, with how each number came about."""
    score = await repository.get_member_score(
        session, community_id=community_id, member_id=member_id
    )
    display_name = await repository.get_display_name(
        session, community_id=community_id, member_id=member_id
    )
    if score is None and display_name is None:
        raise MemberNotFound(member_id)
    half_life = (
        score.half_life_days
        if score is not None
        else await community_half_life(session, community_id)
    )
    key = score.engagement_key if score is not None else rules.NO_SCORE
    value = rules.score_at(key, now, half_life)
    stats = await repository.type_stats(session, community_id=community_id, member_id=member_id)
    breakdown = [
        BreakdownLine(
            type=row.activity_type,
            count=row.count,
            points=points_rules.from_milli(row.points_milli),
            capped=row.capped,
            cooled_down=row.cooled_down,
        )
        for row in stats
    ]
    counts = {row.activity_type: row.count for row in stats}
    badges = await badges_repository.member_badges(
        session, community_id=community_id, member_id=member_id
    )
    rank = None
    if score is not None and key > rules.NO_SCORE:
        rank = await repository.engagement_rank(
            session, community_id=community_id, member_id=member_id, key=key
        )
    last = score.last_active_at if score is not None else None
    factor = None
    if last is not None:
        factor = 2.0 ** (
            -max((now - last).total_seconds(), 0.0) / (half_life * rules.SECONDS_PER_DAY)
        )
    kol_points = rules.kol_points(counts)
    return Engagement(
        community_id=community_id,
        member_id=member_id,
        display_name=display_name,
        score=round(value, 3),
        points=points_rules.from_milli(score.points_milli) if score is not None else 0.0,
        level=score.level if score is not None else 1,
        badges=[row.badge for row in badges],
        segment=segments_rules.segment_for(
            score=value,
            last_active_at=last,
            now=now,
            was_top_quarter=bool(score.was_top_quarter) if score is not None else False,
            # As stored: a newcomer since the join (mark_newcomers) until 14 days have passed.
            joined_at=(
                await repository.get_joined_at(
                    session, community_id=community_id, member_id=member_id
                )
                if score is not None and score.segment == segments_rules.Segment.NEWCOMER
                else None
            ),
        ).value,
        kol=kol_points >= rules.KOL_THRESHOLD,
        kol_points=kol_points,
        rank=rank,
        activity_count=score.activity_count if score is not None else 0,
        all_time_points=points_rules.from_milli(score.score_milli) if score is not None else 0.0,
        last_active_at=last,
        breakdown=breakdown,
        decay=Decay(
            half_life_days=half_life,
            as_of=now,
            factor_since_last_activity=factor,
            score_at_last_activity=round(value / factor, 3) if factor else None,
        ),
    )
