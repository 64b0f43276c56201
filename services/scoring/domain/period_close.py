"""Closing leaderboard periods and sweeping segments: the scoring service's clockwork.

At the end of each day, ISO week and month in a community's timezone the worker announces
`leaderboard.period_closed` with the ranking; a claim row keyed by (community, period, start)
makes that happen once, however many instances run. Closing a week also gives the weekly
top-3 badge and checks the WAU for a sharp drop (`health.alert_raised`).
"""

import asyncio
import logging
import math
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue import (
    PERIOD_CLOSE_TOP,
    HealthAlertRaised,
    LeaderboardPeriodClosed,
    RankedMember,
    SegmentChanged,
)
from services.common.events.envelope import utc_now
from services.common.membership.tables import BELONGING_STATUSES
from services.common.runtime import ServiceRuntime
from services.common.unit_of_work import UnitOfWork
from services.scoring.domain import metrics, rules
from services.scoring.domain.ledger import COMMUNITY_SCOPE, Fold, award_badge
from services.scoring.domain.models import Badge, Period
from services.scoring.domain.posting import announce
from services.scoring.storage import batches, repository

logger = logging.getLogger(__name__)


def previous_period_start(period: Period, current_start: date) -> date:
    if period == Period.DAY:
        return current_start - timedelta(days=1)
    if period == Period.WEEK:
        return current_start - timedelta(days=7)
    return (current_start - timedelta(days=1)).replace(day=1)


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
    rows = await repository.board_top(session, limit=top, **board)
    ranked = await repository.board_size(session, **board)
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
                    member_id=row.member_id, rank=rank, score=rules.from_milli(row.score_milli)
                )
                for rank, row in enumerate(rows, start=1)
            ],
        ),
    )
    if period == Period.WEEK:
        winners = [(community_id, row.member_id) for row in rows[: rules.WEEKLY_TOP]]
        fold = Fold(badges=await batches.load_badges(session, winners))
        for _, member_id in winners:
            award_badge(fold, community_id, member_id, Badge.WEEKLY_TOP3, ends_at)
        await batches.insert_ignoring_duplicates(
            session,
            batches.badge_table,
            [
                {"community_id": c, "member_id": m, "badge": b, "awarded_at": at}
                for c, m, b, at in fold.new_badges
            ],
        )
        await announce(uow, fold.milestones, [], now=now)
        await check_weekly_activity(uow=uow, community_id=community_id, week=start, now=now)
    return True


async def check_weekly_activity(
    *, uow: UnitOfWork, community_id: str, week: date, now: datetime
) -> None:
    """Raise `health.alert_raised` when the closed week's WAU fell 30 % or more from the week
    before (once per community and week)."""
    wau, previous = await metrics.weekly_active(uow.session, community_id, week + timedelta(days=7))
    if previous == 0:
        return
    drop = (previous - wau) / previous
    if drop < metrics.ALERT_DROP:
        return
    values = {
        "community_id": community_id,
        "kind": "wau_drop",
        "week_start": week.isoformat(),
        "previous_value": previous,
        "value": wau,
        "drop": round(drop, 4),
        "raised_at": now,
    }
    if await repository.raise_alert(uow.session, values):
        await uow.outbox.add(
            uow.session,
            HealthAlertRaised(
                community_id=community_id,
                kind="wau_drop",
                week_starts_on=week.isoformat(),
                previous_value=previous,
                value=wau,
                drop=round(drop, 4),
                raised_at=now,
            ),
        )


async def sweep_segments(*, uow: UnitOfWork, community_id: str, now: datetime) -> int:
    """Re-derive every member's segment as time passes (quiet members slip, go dormant,
    churn); the top quarter by engagement is remembered for `slipping`. Returns the number of
    changes, each announced as `segment.changed`."""
    session = uow.session
    rows = await _segment_rows(session, community_id)
    scored = sum(1 for row in rows if row.engagement_key > rules.NO_SCORE)
    top_quarter = math.ceil(scored * rules.TOP_QUARTER)
    changes: list[SegmentChanged] = []
    updates = []
    for position, row in enumerate(rows):
        score = rules.score_at(row.engagement_key, now, row.half_life_days)
        recent = (
            row.last_active_at is not None
            and (now - row.last_active_at).total_seconds()
            <= rules.RECENT_DAYS * rules.SECONDS_PER_DAY
        )
        # Only while active does a member's standing decide whether they were "top".
        was_top = (position < top_quarter and score > 0) if recent else row.was_top_quarter
        segment = rules.segment_for(
            score=score,
            last_active_at=row.last_active_at,
            now=now,
            was_top_quarter=was_top,
            belongs=row.status is None or row.status in BELONGING_STATUSES,
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
        table = repository.score_table
        statement = (
            update(table)
            .where(table.c.community_id == bindparam("c"), table.c.member_id == bindparam("m"))
            .values(segment=bindparam("segment"), was_top_quarter=bindparam("top"))
        )
        await session.execute(statement, updates)
    await announce(uow, [], changes, now=now)
    return len(changes)


async def _segment_rows(session: AsyncSession, community_id: str) -> list[Any]:
    table, profile = repository.score_table, repository.profile_table
    query = (
        select(
            table.c.member_id,
            table.c.engagement_key,
            table.c.half_life_days,
            table.c.last_active_at,
            table.c.segment,
            table.c.was_top_quarter,
            profile.c.status,
        )
        .select_from(
            table.outerjoin(
                profile,
                (profile.c.community_id == table.c.community_id)
                & (profile.c.member_id == table.c.member_id),
            )
        )
        .where(table.c.community_id == community_id)
        .order_by(table.c.engagement_key.desc(), table.c.member_id.asc())
    )
    return list((await session.execute(query)).all())


async def run_clockwork(
    runtime: ServiceRuntime, *, poll_seconds: float, sweep_seconds: float
) -> None:
    """Close due periods every `poll_seconds`; sweep segments every `sweep_seconds` (the first
    sweep one interval after start: replicas restarting together do not all sweep at once)."""
    loop = asyncio.get_running_loop()
    last_sweep = loop.time()
    while True:
        now = utc_now()
        await close_due_periods(runtime=runtime, now=now)
        if loop.time() - last_sweep >= sweep_seconds:
            last_sweep = loop.time()
            async with runtime.read_sessions() as session:
                communities = await repository.all_communities(session)
            for community in communities:
                async with runtime.unit_of_work() as uow:
                    await sweep_segments(uow=uow, community_id=community.id, now=now)
        await asyncio.sleep(poll_seconds)
