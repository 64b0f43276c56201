"""Community metrics and health, computed from scoring's tallies (formulas in the README)."""

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput
from services.common.events.catalogue import (
    HealthAlertRaised,
)
from services.common.events.catalogue.vocabulary import ActivityType
from services.common.membership.access import CommunityNotFound
from services.common.unit_of_work import UnitOfWork
from services.scoring.metrics import repository, rules
from services.scoring.metrics.rules import (
    CONTENT_RESPONSES,
    EARLIEST_DAY,
    INTERACTIONS,
    LATEST_DAY,
    MAX_SPAN_DAYS,
    POSTS,
    RETENTION_WEEKS,
    Alert,
    Bucket,
    Cohort,
    Granularity,
    Health,
    Metrics,
    stage_for,
)
from services.scoring.onboarding import service as onboarding_service
from services.scoring.periods import repository as periods_repository
from services.scoring.periods import rules as periods_rules


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


async def _zone(session: AsyncSession, community_id: str) -> ZoneInfo:
    community = await periods_repository.get_community(session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    return periods_rules.zone(community.timezone)


@dataclass(frozen=True)
class _Standing:
    """Membership at the local midnight starting a day: joins and departures before it, and
    the members active before it who had not joined yet (a member counts from the earlier of
    their join and their first active day, so `members` covers everyone WAU counts)."""

    joined: int
    left: int
    active_before_joining: int

    @property
    def members(self) -> int:
        return max(self.joined - self.left + self.active_before_joining, 0)

    @property
    def became_members(self) -> int:
        return self.joined + self.active_before_joining


async def _standing(
    session: AsyncSession, community_id: str, day: date, zone: ZoneInfo
) -> _Standing:
    midnight = periods_rules.local_midnight(day, zone)
    counts = await repository.membership_counts_before(
        session, community_id=community_id, before=midnight
    )
    early = await repository.active_before_joining(
        session, community_id=community_id, before_day=day.isoformat(), before=midnight
    )
    return _Standing(counts.get("joined", 0), counts.get("left", 0), early)


@dataclass(frozen=True)
class MembershipHistory:
    """What a report or a goal's samples need to know of a community's members from `since`
    on, read once: `_standing` at any day from `since` without a query (one `_standing` reads
    every active day before its day: seconds at 100,000 members), and distinct active
    members of windows counted together (`active`)."""

    community_id: str
    since: date
    zone: ZoneInfo
    joined_before: int
    left_before: int
    joins: list[datetime]
    lefts: list[datetime]
    # Members who could count as active before joining on a day from `since`: those whose
    # first join came at or after `since`'s midnight, or never; their first join and first
    # active day.
    first_join: dict[str, datetime]
    first_active: dict[str, str]
    active_windows: dict[tuple[date, date], int] = field(default_factory=dict)

    def standing(self, day: date) -> _Standing:
        if day < self.since:
            raise ValueError(f"membership history from {self.since} asked about {day}")
        midnight = periods_rules.local_midnight(day, self.zone)
        before_day = day.isoformat()
        early = sum(
            1
            for member_id, first in self.first_active.items()
            if first < before_day
            and (member_id not in self.first_join or self.first_join[member_id] >= midnight)
        )
        return _Standing(
            self.joined_before + bisect_left(self.joins, midnight),
            self.left_before + bisect_left(self.lefts, midnight),
            early,
        )

    def members(self, day: date) -> int:
        return self.standing(day).members

    async def active(
        self, session: AsyncSession, windows: Iterable[tuple[date, date]]
    ) -> dict[tuple[date, date], int]:
        """Distinct members active on local days [start, end) of each window; the windows not
        counted yet are counted in one pass."""
        wanted = list(dict.fromkeys(windows))
        missing = [window for window in wanted if window not in self.active_windows]
        if missing:
            counted = await repository.active_by_window(
                session,
                community_id=self.community_id,
                windows={
                    f"w{n}": (start.isoformat(), end.isoformat())
                    for n, (start, end) in enumerate(missing)
                },
            )
            for n, window in enumerate(missing):
                self.active_windows[window] = counted[f"w{n}"]
        return {window: self.active_windows[window] for window in wanted}


async def membership_history(
    session: AsyncSession, community_id: str, *, since: date, zone: ZoneInfo
) -> MembershipHistory:
    midnight = periods_rules.local_midnight(since, zone)
    before = await repository.membership_counts_before(
        session, community_id=community_id, before=midnight
    )
    joins: list[datetime] = []
    lefts: list[datetime] = []
    for _member_id, kind, at in await repository.changes_since(
        session, community_id=community_id, since=midnight
    ):
        (joins if kind == "joined" else lefts).append(at)
    first_join = await repository.first_joins_since(
        session, community_id=community_id, since=midnight
    )
    candidates = [*first_join, *await repository.never_joined(session, community_id=community_id)]
    return MembershipHistory(
        community_id=community_id,
        since=since,
        zone=zone,
        joined_before=before.get("joined", 0),
        left_before=before.get("left", 0),
        joins=sorted(joins),
        lefts=sorted(lefts),
        first_join=first_join,
        first_active=await repository.first_active_days(
            session, community_id=community_id, member_ids=candidates
        ),
    )


async def _members_at(session: AsyncSession, community_id: str, day: date, zone: ZoneInfo) -> int:
    return (await _standing(session, community_id, day, zone)).members


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
    today = periods_rules.local_day(now, zone)
    last = to_day or today
    first = from_day or (last - timedelta(days=27))
    if first > last:
        raise InvalidInput("`from` must not be after `to`.", field="from")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise InvalidInput(f"At most {MAX_SPAN_DAYS} days at once.", field="to")
    items = [
        await bucket_between(session, community_id, zone, start, end)
        for start, end in rules.bucket_starts(granularity, first, last)
    ]
    retention = await _retention(
        session, community_id, zone=zone, first=first, last=last, today=today
    )
    onboarding = await onboarding_service.onboarding_metrics(
        session, community_id=community_id, zone=zone, first=first, last=last, today=today
    )
    return Metrics(
        granularity=granularity,
        timezone=zone.key,
        items=items,
        retention=retention,
        onboarding=onboarding if onboarding.checklist else None,
    )


async def bucket_between(
    session: AsyncSession,
    community_id: str,
    zone: ZoneInfo,
    start: date,
    end: date,
    *,
    history: MembershipHistory | None = None,
) -> Bucket:
    """The KPIs of local days [start, end) (the figures of one bucket, and of a report, which
    passes the membership `history` it read once)."""
    if history is not None:
        at_start, at_end = history.standing(start), history.standing(end)
    else:
        at_start = await _standing(session, community_id, start, zone)
        at_end = await _standing(session, community_id, end, zone)
    members_start, members_end = at_start.members, at_end.members
    # A join of someone already counted from earlier activity is not new again.
    new = at_end.became_members - at_start.became_members
    left = at_end.left - at_start.left
    counts = await repository.type_counts(
        session, community_id=community_id, from_day=start.isoformat(), to_day=end.isoformat()
    )
    if history is not None:
        named = {
            "active": (start, end),
            "dau": (end - timedelta(days=1), end),
            "wau": (end - timedelta(days=7), end),
            "mau": (end - timedelta(days=30), end),
        }
        counted = await history.active(session, named.values())
        windows = {name: counted[window] for name, window in named.items()}
    else:
        windows = {
            "active": await _active(session, community_id, start, end),
            "dau": await _active(session, community_id, end - timedelta(days=1), end),
            "wau": await _active(session, community_id, end - timedelta(days=7), end),
            "mau": await _active(session, community_id, end - timedelta(days=30), end),
        }
    active = windows["active"]
    interactions = sum(counts.get(kind, 0) for kind in INTERACTIONS)
    posts = sum(counts.get(kind, 0) for kind in POSTS)
    published = counts.get(ActivityType.CONTENT_PUBLISHED, 0)
    by_reason = rules.departures_by_reason(
        await repository.departures_by_reason(
            session,
            community_id=community_id,
            start=periods_rules.local_midnight(start, zone),
            end=periods_rules.local_midnight(end, zone),
        )
    )
    responses = sum(counts.get(kind, 0) for kind in CONTENT_RESPONSES)
    return Bucket(
        starts_on=start,
        ends_on=end - timedelta(days=1),
        members=members_end,
        new=new,
        left=left,
        growth_rate=_ratio(members_end - members_start, members_start),
        dau=windows["dau"],
        wau=windows["wau"],
        mau=windows["mau"],
        active_rate=_ratio(active, members_end),
        interaction_rate=_ratio(interactions, posts),
        content_engagement=_ratio(responses, published),
        event_participation=_ratio(counts.get(ActivityType.EVENT_ATTENDED, 0), members_end),
        churn_rate=_ratio(left, members_start),
        left_by_reason=by_reason,
        churn_rate_by_reason={
            reason: _ratio(count, members_start) for reason, count in by_reason.items()
        },
        messages=counts.get(ActivityType.MESSAGE, 0),
        replies=counts.get(ActivityType.REPLY, 0),
        reactions=counts.get(ActivityType.REACTION, 0),
        content_items=await repository.content_published(
            session,
            community_id=community_id,
            start=periods_rules.local_midnight(start, zone),
            end=periods_rules.local_midnight(end, zone),
        ),
        checkins=counts.get(ActivityType.EVENT_ATTENDED, 0),
        challenge_checkins=counts.get(ActivityType.CHECKIN, 0),
        active=active,
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
            start=periods_rules.local_midnight(week, zone),
            end=periods_rules.local_midnight(week + timedelta(days=7), zone),
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
    tomorrow = periods_rules.local_day(now, zone) + timedelta(days=1)
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


async def check_weekly_activity(
    *, uow: UnitOfWork, community_id: str, week: date, now: datetime
) -> None:
    """Raise `health.alert_raised` when the closed week's WAU fell 30 % or more from the week
    before (once per community and week)."""
    wau, previous = await weekly_active(uow.session, community_id, week + timedelta(days=7))
    if previous == 0:
        return
    drop = (previous - wau) / previous
    if drop < rules.ALERT_DROP:
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


async def members_at(session: AsyncSession, community_id: str, day: date, zone: ZoneInfo) -> int:
    """Members at the local midnight starting `day` (goals and reports read it too)."""
    return await _members_at(session, community_id, day, zone)


async def active_between(session: AsyncSession, community_id: str, start: date, end: date) -> int:
    """Distinct members active on local days [start, end)."""
    return await _active(session, community_id, start, end)


async def community_zone(session: AsyncSession, community_id: str) -> ZoneInfo:
    """The community's timezone (CommunityNotFound when scoring does not know it)."""
    return await _zone(session, community_id)
