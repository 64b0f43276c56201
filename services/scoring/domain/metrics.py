"""Community metrics and health, computed from scoring's tallies (formulas in the README)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput
from services.common.membership.access import CommunityNotFound
from services.scoring.domain import rules
from services.scoring.domain.models import ActivityType, Granularity, Stage
from services.scoring.storage import repository

MAX_SPAN_DAYS = 366
# Dates a community's metrics can have (and whose neighbours any timezone can represent).
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(9000, 12, 31)
RETENTION_WEEKS = 4
ALERT_DROP = 0.30
GROWING = 0.10
DECLINING = -0.20

INTERACTIONS = (ActivityType.REPLY, ActivityType.REACTION, ActivityType.SHARE)
POSTS = (ActivityType.MESSAGE, ActivityType.CONTENT_PUBLISHED, ActivityType.UGC_APPROVED)
CONTENT_RESPONSES = (ActivityType.CONTENT_VIEW, ActivityType.SHARE, ActivityType.POLL_VOTE)


@dataclass(frozen=True)
class Bucket:
    starts_on: date
    ends_on: date
    members: int
    new: int
    left: int
    growth_rate: float | None
    dau: int
    wau: int
    mau: int
    active_rate: float | None
    interaction_rate: float | None
    content_engagement: float | None
    event_participation: float | None
    churn_rate: float | None


@dataclass(frozen=True)
class Cohort:
    cohort_starts_on: date
    size: int
    weeks: list[float | None]


@dataclass(frozen=True)
class Metrics:
    granularity: Granularity
    timezone: str
    items: list[Bucket]
    retention: list[Cohort]


@dataclass(frozen=True)
class Alert:
    kind: str
    week_starts_on: str
    previous_value: int
    value: int
    drop: float
    raised_at: datetime


@dataclass(frozen=True)
class Health:
    stage: Stage
    wau: int
    previous_wau: int
    wau_change: float | None
    alerts: list[Alert]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


async def _zone(session: AsyncSession, community_id: str) -> ZoneInfo:
    community = await repository.get_community(session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    return rules.zone(community.timezone)


async def _members_at(session: AsyncSession, community_id: str, day: date, zone: ZoneInfo) -> int:
    counts = await repository.membership_counts_before(
        session, community_id=community_id, before=rules.local_midnight(day, zone)
    )
    return max(counts.get("joined", 0) - counts.get("left", 0), 0)


async def _active(session: AsyncSession, community_id: str, start: date, end: date) -> int:
    return await repository.active_members(
        session, community_id=community_id, from_day=start.isoformat(), to_day=end.isoformat()
    )


async def get_metrics(
    *,
    session: AsyncSession,
    community_id: str,
    from_day: date | None,
    to_day: date | None,
    granularity: Granularity,
    now: datetime,
) -> Metrics:
    """KPI series over local days [from, to] (inclusive), by day or by ISO week."""
    for name, value in (("from", from_day), ("to", to_day)):
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise InvalidInput(
                f"`{name}` must be between {EARLIEST_DAY} and {LATEST_DAY}.", field=name
            )
    zone = await _zone(session, community_id)
    today = rules.local_day(now, zone)
    last = to_day or today
    first = from_day or (last - timedelta(days=27))
    if first > last:
        raise InvalidInput("`from` must not be after `to`.", field="from")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise InvalidInput(f"At most {MAX_SPAN_DAYS} days at once.", field="to")
    step = timedelta(days=1 if granularity == Granularity.DAY else 7)
    start = first if granularity == Granularity.DAY else first - timedelta(days=first.weekday())
    items: list[Bucket] = []
    while start <= last:
        end = start + step
        items.append(await _bucket(session, community_id, zone, start, end))
        start = end
    retention = await _retention(
        session, community_id, zone=zone, first=first, last=last, today=today
    )
    return Metrics(granularity=granularity, timezone=zone.key, items=items, retention=retention)


async def _bucket(
    session: AsyncSession, community_id: str, zone: ZoneInfo, start: date, end: date
) -> Bucket:
    members_start = await _members_at(session, community_id, start, zone)
    members_end = await _members_at(session, community_id, end, zone)
    moves = await repository.membership_counts_before(
        session, community_id=community_id, before=rules.local_midnight(end, zone)
    )
    before = await repository.membership_counts_before(
        session, community_id=community_id, before=rules.local_midnight(start, zone)
    )
    new = moves.get("joined", 0) - before.get("joined", 0)
    left = moves.get("left", 0) - before.get("left", 0)
    counts = await repository.type_counts(
        session, community_id=community_id, from_day=start.isoformat(), to_day=end.isoformat()
    )
    active = await _active(session, community_id, start, end)
    interactions = sum(counts.get(kind, 0) for kind in INTERACTIONS)
    posts = sum(counts.get(kind, 0) for kind in POSTS)
    published = counts.get(ActivityType.CONTENT_PUBLISHED, 0)
    responses = sum(counts.get(kind, 0) for kind in CONTENT_RESPONSES)
    return Bucket(
        starts_on=start,
        ends_on=end - timedelta(days=1),
        members=members_end,
        new=new,
        left=left,
        growth_rate=_ratio(members_end - members_start, members_start),
        dau=await _active(session, community_id, end - timedelta(days=1), end),
        wau=await _active(session, community_id, end - timedelta(days=7), end),
        mau=await _active(session, community_id, end - timedelta(days=30), end),
        active_rate=_ratio(active, members_end),
        interaction_rate=_ratio(interactions, posts),
        content_engagement=_ratio(responses, published),
        event_participation=_ratio(counts.get(ActivityType.EVENT_ATTENDED, 0), members_end),
        churn_rate=_ratio(left, members_start),
    )


async def _retention(
    session: AsyncSession,
    community_id: str,
    *,
    zone: ZoneInfo,
    first: date,
    last: date,
    today: date,
) -> list[Cohort]:
    """Week-N retention: of the members who joined in a week, the share active N weeks on."""
    cohorts: list[Cohort] = []
    week = first - timedelta(days=first.weekday())
    while week <= last:
        members = await repository.joined_between(
            session,
            community_id=community_id,
            start=rules.local_midnight(week, zone),
            end=rules.local_midnight(week + timedelta(days=7), zone),
        )
        rates: list[float | None] = []
        for n in range(1, RETENTION_WEEKS + 1):
            start = week + timedelta(days=7 * n)
            if start > today or not members:
                rates.append(None)
                continue
            retained = await repository.active_among(
                session,
                community_id=community_id,
                member_ids=members,
                from_day=start.isoformat(),
                to_day=(start + timedelta(days=7)).isoformat(),
            )
            rates.append(_ratio(retained, len(members)))
        cohorts.append(Cohort(cohort_starts_on=week, size=len(members), weeks=rates))
        week += timedelta(days=7)
    return cohorts


async def weekly_active(
    session: AsyncSession, community_id: str, week_end: date
) -> tuple[int, int]:
    """Distinct active members in the 7 local days before `week_end`, and in the 7 before."""
    current = await _active(session, community_id, week_end - timedelta(days=7), week_end)
    previous = await _active(
        session, community_id, week_end - timedelta(days=14), week_end - timedelta(days=7)
    )
    return current, previous


async def get_health(*, session: AsyncSession, community_id: str, now: datetime) -> Health:
    """The lifecycle stage from the trend, and the alerts raised so far."""
    zone = await _zone(session, community_id)
    tomorrow = rules.local_day(now, zone) + timedelta(days=1)
    wau, previous = await weekly_active(session, community_id, tomorrow)
    change = _ratio(wau - previous, previous)
    members_now = await _members_at(session, community_id, tomorrow, zone)
    members_before = await _members_at(session, community_id, tomorrow - timedelta(days=28), zone)
    growth = _ratio(members_now - members_before, members_before)
    stage = stage_for(wau_change=change, member_growth=growth, wau=wau)
    alerts = [
        Alert(
            kind=row.kind,
            week_starts_on=row.week_start,
            previous_value=row.previous_value,
            value=row.value,
            drop=row.drop,
            raised_at=row.raised_at,
        )
        for row in await repository.recent_alerts(session, community_id=community_id)
    ]
    return Health(stage=stage, wau=wau, previous_wau=previous, wau_change=change, alerts=alerts)


def stage_for(*, wau_change: float | None, member_growth: float | None, wau: int) -> Stage:
    """growing: members +10 % over 28 days or WAU +10 % week over week (or a first active
    week); declining: WAU -20 % or worse, or members shrinking; mature otherwise."""
    if (wau_change is not None and wau_change <= DECLINING) or (
        member_growth is not None and member_growth < 0
    ):
        return Stage.DECLINING
    if (member_growth is not None and member_growth >= GROWING) or (
        wau_change is not None and wau_change >= GROWING
    ):
        return Stage.GROWING
    if wau_change is None and member_growth is None:
        return Stage.GROWING if wau > 0 else Stage.MATURE
    return Stage.MATURE
