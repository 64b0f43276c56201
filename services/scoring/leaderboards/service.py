"""Leaderboards: the top of a board for a period, and where the viewer stands on it."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.membership.access import CommunityNotFound
from services.scoring.leaderboards import repository
from services.scoring.leaderboards.rules import Leaderboard, Standing
from services.scoring.periods import repository as periods_repository
from services.scoring.periods import rules as periods_rules
from services.scoring.periods.rules import Period
from services.scoring.points import rules as points_rules


async def _timezone(session: AsyncSession, community_id: str) -> str:
    community = await periods_repository.get_community(session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    return str(community.timezone)


async def get_leaderboard(
    *,
    session: AsyncSession,
    community_id: str,
    period: Period,
    tier_id: str | None,
    limit: int,
    viewer_member_id: str | None,
    now: datetime,
    timezone_name: str | None = None,
) -> Leaderboard:
    """The top of the community's (or a tier's) board for the period containing `now` in the
    community's timezone, and where the viewer stands on it."""
    # The caller's admission read the timezone already; a statement less on a hot read.
    timezone = periods_rules.zone(timezone_name or await _timezone(session, community_id))
    start = periods_rules.period_key(period, now, timezone)
    scope = tier_id or "*"
    board = {
        "community_id": community_id,
        "period": period.value,
        "period_start": start,
        "scope": scope,
    }
    rows = await repository.board_top(session, limit=limit, **board)
    items = [
        Standing(
            rank=position,
            member_id=row.member_id,
            display_name=row.display_name,
            score=points_rules.from_milli(row.score_milli),
        )
        for position, row in enumerate(rows, start=1)
    ]
    # A viewer in the top is placed by it (board order is rank order), and a top shorter than
    # `limit` holds everyone with points: two statements fewer either way.
    own: Standing | None = next(
        (item for item in items if item.member_id == viewer_member_id), None
    )
    if viewer_member_id is not None and own is None and len(items) == limit:
        standing = await repository.board_standing(session, member_id=viewer_member_id, **board)
        if standing is not None and standing.score_milli > 0:
            rank = await repository.board_rank(
                session, member_id=viewer_member_id, score_milli=standing.score_milli, **board
            )
            own = Standing(
                rank,
                viewer_member_id,
                standing.display_name,
                points_rules.from_milli(standing.score_milli),
            )
    return Leaderboard(
        period=period,
        period_start=None if period == Period.ALL else start,
        timezone=timezone.key,
        tier_id=tier_id,
        items=items,
        own=own,
    )
