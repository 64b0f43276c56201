"""Closing leaderboard periods and sweeping segments: the scoring service's clockwork.

At the end of each day, ISO week and month in a community's timezone the worker announces
`leaderboard.period_closed` with the ranking; a claim row keyed by (community, period, start)
makes that happen once, however many instances run. Closing a week also gives the weekly
top-3 badge and checks the WAU for a sharp drop (`health.alert_raised`).
"""

import logging
from datetime import date, datetime

from services.common.events.catalogue import (
    PERIOD_CLOSE_TOP,
    LeaderboardPeriodClosed,
    RankedMember,
)
from services.common.runtime import ServiceRuntime
from services.common.unit_of_work import UnitOfWork
from services.scoring.badges import rules as badges_rules
from services.scoring.badges.rules import Badge
from services.scoring.leaderboards import repository as leaderboards_repository
from services.scoring.leaderboards.rules import COMMUNITY_SCOPE
from services.scoring.ledger import repository as ledger_repository
from services.scoring.ledger.rules import Fold, award_badge
from services.scoring.ledger.service import announce
from services.scoring.metrics.service import check_weekly_activity
from services.scoring.periods import repository, rules
from services.scoring.periods.rules import Period, previous_period_start
from services.scoring.points import rules as points_rules
from services.scoring.tables import badge_table

logger = logging.getLogger(__name__)


async def close_due_periods(
    *, runtime: ServiceRuntime, now: datetime, top: int = PERIOD_CLOSE_TOP
) -> int:
    """Close every period that ended before `now` (the latest one of each kind per
    community); returns how many this call closed."""
    async with runtime.read_sessions() as session:
        communities = await repository.all_communities(session)
    closed = 0
    for community in communities:
        zone = rules.zone(community.timezone)
        today = rules.local_day(now, zone)
        for period in rules.CLOSING_PERIODS:
            current = rules.period_start_on(period, today)
            start = previous_period_start(period, current)
            ends_at = rules.local_midnight(current, zone)
            if community.created_at >= ends_at:
                continue  # the community did not exist during that period
            async with runtime.unit_of_work() as uow:
                if await close_period(
                    uow=uow,
                    community_id=community.id,
                    period=period,
                    start=start,
                    starts_at=rules.local_midnight(start, zone),
                    ends_at=ends_at,
                    top=top,
                    now=now,
                ):
                    closed += 1
    return closed


async def close_period(
    *,
    uow: UnitOfWork,
    community_id: str,
    period: Period,
    start: date,
    starts_at: datetime,
    ends_at: datetime,
    top: int,
    now: datetime,
) -> bool:
    """Close one period once: claim it, announce its ranking, and for a week give the top-3
    badge and check the WAU. False if it was closed already."""
    session = uow.session
    period_start = start.isoformat()
    if not await repository.claim_period(
        session, community_id=community_id, period=period.value, period_start=period_start, at=now
    ):
        return False
    board = {
        "community_id": community_id,
        "period": period.value,
        "period_start": period_start,
        "scope": COMMUNITY_SCOPE,
    }
    rows = await leaderboards_repository.board_top(session, limit=top, **board)
    ranked = await leaderboards_repository.board_size(session, **board)
    await repository.set_members_ranked(
        session,
        community_id=community_id,
        period=period.value,
        period_start=period_start,
        count=ranked,
    )
    await uow.outbox.add(
        session,
        LeaderboardPeriodClosed(
            community_id=community_id,
            period=period.value,
            starts_at=starts_at,
            ends_at=ends_at,
            members_ranked=ranked,
            entries=[
                RankedMember(
                    member_id=row.member_id,
                    rank=rank,
                    score=points_rules.from_milli(row.score_milli),
                )
                for rank, row in enumerate(rows, start=1)
            ],
        ),
    )
    if period == Period.WEEK:
        winners = [(community_id, row.member_id) for row in rows[: badges_rules.WEEKLY_TOP]]
        fold = Fold(badges=await ledger_repository.load_badges(session, winners))
        for _, member_id in winners:
            award_badge(fold, community_id, member_id, Badge.WEEKLY_TOP3, ends_at)
        await ledger_repository.insert_ignoring_duplicates(
            session,
            badge_table,
            [
                {"community_id": c, "member_id": m, "badge": b, "awarded_at": at}
                for c, m, b, at in fold.new_badges
            ],
        )
        await announce(uow, fold.milestones, [], now=now)
        await check_weekly_activity(uow=uow, community_id=community_id, week=start, now=now)
    return True
