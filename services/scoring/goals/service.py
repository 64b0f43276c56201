"""Goals: set, change, withdraw, and their progress measured with the metrics' own figures."""

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess
from services.common.unit_of_work import UnitOfWork
from services.scoring.goals import repository, rules
from services.scoring.goals.errors import GoalExists, GoalNotFound, TargetOutOfRange
from services.scoring.goals.rules import GoalMetric, GoalPeriod, GoalStatus
from services.scoring.goals.schemas import (
    GoalCreate,
    GoalProgress,
    GoalPublic,
    GoalUpdate,
    ProgressSample,
)
from services.scoring.metrics import repository as metrics_repository
from services.scoring.metrics import service as metrics
from services.scoring.metrics.service import MembershipHistory
from services.scoring.periods import rules as periods_rules


def _history(history: MembershipHistory | None) -> MembershipHistory:
    if history is None:  # progress_of reads one whenever there is a sample to take
        raise ValueError("no membership history")
    return history


def _check_target(metric: GoalMetric, target: float) -> None:
    low, high = rules.TARGET_RANGE[metric]
    if not low <= target <= high:
        raise TargetOutOfRange(metric, low, high)


def _period(text: str) -> GoalPeriod:
    period = rules.parse_period(text)
    if period is None:  # the schema let it through, so this is a stored goal: never
        raise ValueError(f"stored goal with period {text!r}")
    return period


async def metric_value(
    session: AsyncSession,
    community_id: str,
    zone: ZoneInfo,
    metric: GoalMetric,
    day: date,
    *,
    history: MembershipHistory,
) -> float | None:
    """A goal's figure at the local midnight starting `day` (docs/scoring.md, Goals)."""
    if metric in rules.UNAVAILABLE:
        return None
    if metric == GoalMetric.MEMBERS:
        return float(history.members(day))
    if metric == GoalMetric.WEEK4_RETENTION:
        week = day - timedelta(days=day.weekday()) - timedelta(days=7)
        cohort = await metrics_repository.joined_between(
            session,
            community_id=community_id,
            start=periods_rules.local_midnight(week - timedelta(days=28), zone),
            end=periods_rules.local_midnight(week - timedelta(days=21), zone),
        )
        if not cohort:
            return None
        retained = await metrics_repository.active_among(
            session,
            community_id=community_id,
            member_ids=cohort,
            from_day=week.isoformat(),
            to_day=(week + timedelta(days=7)).isoformat(),
        )
        return round(retained / len(cohort), 4)
    window = (day - timedelta(days=7), day)
    wau = (await history.active(session, [window]))[window]
    if metric == GoalMetric.WEEKLY_ACTIVES:
        return float(wau)
    members = history.members(day)
    return round(wau / members, 4) if members else None


async def progress_of(
    session: AsyncSession,
    *,
    community_id: str,
    zone: ZoneInfo,
    metric: GoalMetric,
    period: GoalPeriod,
    target: float,
    now: datetime,
    history: MembershipHistory | None = None,
) -> GoalProgress:
    """The figure sampled every Monday of the period so far and now, and where the line
    through those samples reaches at the period's end."""
    today = periods_rules.local_day(now, zone)
    started = today >= period.starts_on
    ended = today >= period.ends_before
    if metric in rules.UNAVAILABLE:
        return GoalProgress(
            value=None,
            measured_on=None,
            share_of_target=None,
            forecast=None,
            status=GoalStatus.NOT_STARTED if not started else GoalStatus.UNKNOWN,
            reason=rules.UNAVAILABLE[metric],
            samples=[],
        )
    days = rules.sample_days(period, today)
    if days and (history is None or history.since > days[0]):
        history = await metrics.membership_history(session, community_id, since=days[0], zone=zone)
    if history is not None and len(days) > 1 and metric != GoalMetric.WEEK4_RETENTION:
        # Every sample's week counted in one pass.
        await history.active(session, [(day - timedelta(days=7), day) for day in days])
    samples = [
        ProgressSample(
            on=day,
            value=await metric_value(
                session, community_id, zone, metric, day, history=_history(history)
            ),
        )
        for day in days
    ]
    if not samples:
        return GoalProgress(
            value=None,
            measured_on=None,
            share_of_target=None,
            forecast=None,
            status=GoalStatus.NOT_STARTED,
            reason=f"The period starts on {period.starts_on}.",
            samples=[],
        )
    last = samples[-1]
    points = [
        (float((s.on - period.starts_on).days), s.value) for s in samples if s.value is not None
    ]
    forecast = rules.linear_forecast(points, float(period.days))
    if forecast is not None:
        forecast = round(rules.clamp_forecast(metric, forecast), 4)
    if ended:
        forecast = last.value
    reason = None
    if last.value is None:
        reason = (
            "No one joined in the cohort week yet."
            if metric == GoalMetric.WEEK4_RETENTION
            else "The community has no members yet."
        )
    return GoalProgress(
        value=last.value,
        measured_on=last.on,
        share_of_target=(
            round(last.value / target, 4) if last.value is not None and target else None
        ),
        forecast=forecast,
        status=rules.goal_status(
            target=target, value=last.value, forecast=forecast, ended=ended, started=started
        ),
        reason=reason,
        samples=samples,
    )


async def goal_public(
    session: AsyncSession,
    row: Mapping[Any, Any],
    *,
    zone: ZoneInfo,
    now: datetime,
    history: MembershipHistory | None = None,
) -> GoalPublic:
    period = _period(row["period"])
    metric = GoalMetric(row["metric"])
    progress = await progress_of(
        session,
        community_id=row["community_id"],
        zone=zone,
        metric=metric,
        period=period,
        target=row["target"],
        now=now,
        history=history,
    )
    return GoalPublic(
        id=row["id"],
        community_id=row["community_id"],
        metric=metric,
        period=period.name,
        period_kind=period.kind,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        target=row["target"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        progress=progress,
    )


async def create_goal(
    *, uow: UnitOfWork, access: CommunityAccess, goal_create: GoalCreate
) -> GoalPublic:
    """Set a target for one figure and period (one goal per figure and period)."""
    zone = await metrics.community_zone(uow.session, access.community_id)
    _check_target(goal_create.metric, goal_create.target)
    found = await repository.find_goal(
        uow.session,
        community_id=access.community_id,
        metric=goal_create.metric,
        period=goal_create.period,
    )
    if found is not None:
        raise GoalExists(goal_create.metric, goal_create.period, found["id"])
    now = utc_now()
    values = {
        "id": new_id("goal"),
        "community_id": access.community_id,
        "metric": str(goal_create.metric),
        "period": goal_create.period,
        "target": goal_create.target,
        "created_by": access.actor.id,
        "created_at": now,
        "updated_at": now,
    }
    await repository.add_goal(uow.session, values)
    return await goal_public(uow.session, values, zone=zone, now=now)


async def get_goal(*, session: AsyncSession, community_id: str, goal_id: str) -> GoalPublic:
    zone = await metrics.community_zone(session, community_id)
    row = await repository.get_goal(session, community_id=community_id, goal_id=goal_id)
    if row is None:
        raise GoalNotFound(goal_id)
    return await goal_public(session, row, zone=zone, now=utc_now())


async def list_goals(
    *, session: AsyncSession, community_id: str, after_id: str | None, limit: int
) -> list[GoalPublic]:
    zone = await metrics.community_zone(session, community_id)
    now = utc_now()
    rows = await repository.list_goals(
        session, community_id=community_id, after_id=after_id, limit=limit
    )
    return [await goal_public(session, row, zone=zone, now=now) for row in rows]


async def update_goal(
    *, uow: UnitOfWork, community_id: str, goal_id: str, goal_update: GoalUpdate
) -> GoalPublic:
    zone = await metrics.community_zone(uow.session, community_id)
    row = await repository.get_goal(uow.session, community_id=community_id, goal_id=goal_id)
    if row is None:
        raise GoalNotFound(goal_id)
    _check_target(GoalMetric(row["metric"]), goal_update.target)
    now = utc_now()
    updated = await repository.set_target(
        uow.session,
        community_id=community_id,
        goal_id=goal_id,
        values={"target": goal_update.target, "updated_at": now},
    )
    if updated is None:
        raise GoalNotFound(goal_id)
    return await goal_public(uow.session, updated, zone=zone, now=now)


async def delete_goal(*, uow: UnitOfWork, community_id: str, goal_id: str) -> None:
    if not await repository.delete_goal(uow.session, community_id=community_id, goal_id=goal_id):
        raise GoalNotFound(goal_id)
