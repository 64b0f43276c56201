"""Content ranked by engagement, events compared, and the weekly and monthly report built
from scoring's own figures (every formula in rules.FORMULAS and docs/scoring.md)."""

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput
from services.common.events.catalogue import ReportReady
from services.common.unit_of_work import UnitOfWork
from services.scoring.goals import repository as goals_repository
from services.scoring.goals import rules as goal_rules
from services.scoring.goals import service as goals_service
from services.scoring.leaderboards import repository as boards_repository
from services.scoring.metrics import service as metrics
from services.scoring.metrics.rules import EARLIEST_DAY, LATEST_DAY, MAX_SPAN_DAYS
from services.scoring.periods import rules as periods_rules
from services.scoring.points import rules as points_rules
from services.scoring.reports import repository, rules
from services.scoring.reports.errors import ReportPeriodInvalid
from services.scoring.reports.rules import ReportKind, ReportPeriod

COMMUNITY_SCOPE = "*"
MAX_EVENTS = 200


def _span(from_day: date | None, to_day: date | None, today: date) -> tuple[date, date]:
    for name, value in (("from", from_day), ("to", to_day)):
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise InvalidInput(
                f"`{name}` must be between {EARLIEST_DAY} and {LATEST_DAY}.", field=name
            )
    last = to_day or today
    first = from_day or (last - timedelta(days=27))
    if first > last:
        raise InvalidInput("`from` must not be after `to`.", field="from")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise InvalidInput(f"At most {MAX_SPAN_DAYS} days at once.", field="to")
    return first, last


async def content_ranking(
    session: AsyncSession, *, community_id: str, first: date, end: date, limit: int
) -> dict[str, Any]:
    """Items and kinds ranked by engagement on local days [first, end)."""
    counts: dict[str, dict[str, int]] = {}
    for content_id, kind, n in await repository.content_engagement(
        session, community_id=community_id, from_day=first.isoformat(), to_day=end.isoformat()
    ):
        counts.setdefault(content_id, {})[kind] = n
    scored = sorted(
        ((rules.engagement_score(c), content_id, c) for content_id, c in counts.items()),
        key=lambda item: (-item[0], item[1]),
    )
    infos = await repository.content_infos(
        session, community_id=community_id, content_ids=[c for _, c, _ in scored]
    )
    kinds: dict[str, dict[str, Any]] = {}
    for score, content_id, _counts in scored:
        info = infos.get(content_id)
        kind = str(info["kind"]) if info is not None else "unknown"
        entry = kinds.setdefault(kind, {"kind": kind, "items": 0, "engagement": 0.0})
        entry["items"] += 1
        entry["engagement"] = round(entry["engagement"] + score, 3)
    for entry in kinds.values():
        entry["engagement_per_item"] = round(entry["engagement"] / entry["items"], 3)
    items = []
    for rank, (score, content_id, c) in enumerate(scored[:limit], start=1):
        info = infos.get(content_id)
        items.append(
            {
                "rank": rank,
                "content_id": content_id,
                "title": None if info is None else info["title"],
                "kind": None if info is None else info["kind"],
                "engagement": score,
                "counts": dict(sorted(c.items())),
            }
        )
    return {
        "items": items,
        "kinds": sorted(kinds.values(), key=lambda k: (-k["engagement"], k["kind"])),
        "tags": [],
        "tags_note": rules.GAPS["content_tags"],
    }


async def get_content_ranking(
    *,
    session: AsyncSession,
    community_id: str,
    from_day: date | None,
    to_day: date | None,
    limit: int,
    now: datetime,
) -> dict[str, Any]:
    zone = await metrics.community_zone(session, community_id)
    first, last = _span(from_day, to_day, periods_rules.local_day(now, zone))
    ranking = await content_ranking(
        session, community_id=community_id, first=first, end=last + timedelta(days=1), limit=limit
    )
    return {"from": first, "to": last, "timezone": zone.key, **ranking}


def _event_figures(row: Any) -> dict[str, Any]:
    registered, attended = int(row["registered"]), int(row["attended"])
    completed = row["status"] == "completed"
    no_shows = max(registered - attended, 0) if completed else None
    return {
        "event_id": row["event_id"],
        "title": row["title"],
        "kind": row["kind"],
        "starts_at": row["starts_at"],
        "status": row["status"],
        "registered": registered,
        "attended": attended,
        "attendance_rate": rules.ratio(attended, registered),
        "no_shows": no_shows,
        "no_show_rate": None if no_shows is None else rules.ratio(no_shows, registered),
        "ratings": int(row["ratings"]),
        "average_rating": (
            round(row["rating_sum"] / row["ratings"], 2) if row["ratings"] else None
        ),
        "nps": None,
    }


async def events_compared(
    session: AsyncSession, *, community_id: str, zone: ZoneInfo, first: date, end: date
) -> list[dict[str, Any]]:
    rows = await repository.events_between(
        session,
        community_id=community_id,
        start=periods_rules.local_midnight(first, zone),
        end=periods_rules.local_midnight(end, zone),
        limit=MAX_EVENTS,
    )
    return [_event_figures(row) for row in rows]


async def get_event_comparison(
    *,
    session: AsyncSession,
    community_id: str,
    from_day: date | None,
    to_day: date | None,
    now: datetime,
) -> dict[str, Any]:
    zone = await metrics.community_zone(session, community_id)
    first, last = _span(from_day, to_day, periods_rules.local_day(now, zone))
    items = await events_compared(
        session, community_id=community_id, zone=zone, first=first, end=last + timedelta(days=1)
    )
    return {
        "from": first,
        "to": last,
        "timezone": zone.key,
        "items": items,
        "nps_note": rules.GAPS["nps"],
    }


# --- reports -----------------------------------------------------------------------------


async def community_since(session: AsyncSession, community_id: str, zone: ZoneInfo) -> date:
    """The community's first local day: its creation, or its earliest imported history."""
    created, first_active = await repository.community_since(session, community_id)
    since = periods_rules.local_day(created, zone)
    if first_active is not None:
        since = min(since, date.fromisoformat(first_active))
    return since


async def checked_period(
    session: AsyncSession, community_id: str, zone: ZoneInfo, text: str, now: datetime
) -> ReportPeriod:
    period = rules.parse_period(text)
    if period is None:
        raise ReportPeriodInvalid(
            text[:20],
            "malformed",
            "`period` must be a month (2026-11) or an ISO week (2026-W48), years 1970 to 9000.",
        )
    today = periods_rules.local_day(now, zone)
    since = await community_since(session, community_id, zone)
    refused = rules.refusal(period, today=today, community_since=since)
    if refused == rules.PeriodRefusal.IN_FUTURE:
        raise ReportPeriodInvalid(
            text, refused, f"`period` {text} is in the future (today is {today} there)."
        )
    if refused == rules.PeriodRefusal.NOT_ENDED:
        raise ReportPeriodInvalid(
            text,
            refused,
            f"`period` {text} ends on {period.ends_on}; a report covers an ended period.",
        )
    if refused == rules.PeriodRefusal.BEFORE_COMMUNITY:
        raise ReportPeriodInvalid(
            text,
            refused,
            f"`period` {text} ended before the community existed (since {since}).",
        )
    return period


def _kpi(name: str, value: float | None, previous: float | None) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "previous": previous,
        "change": rules.change(value, previous),
        "formula": rules.FORMULAS.get(name, ""),
    }


KPI_NAMES = (
    "members",
    "new",
    "left",
    "growth_rate",
    "active",
    "active_rate",
    "wau",
    "dau",
    "messages",
    "replies",
    "reactions",
    "content_items",
    "checkins",
    "challenge_checkins",
    "interaction_rate",
    "content_engagement",
    "event_participation",
    "churn_rate",
)


def _goal_periods(period: ReportPeriod) -> list[str]:
    """The goal periods (month, quarter, year) the report period falls in (a week counts in
    the month, quarter and year of its Thursday, as ISO weeks belong to years)."""
    day = (
        period.starts_on + timedelta(days=3) if period.kind == ReportKind.WEEK else period.starts_on
    )
    quarter = (day.month - 1) // 3 + 1
    return [f"{day.year:04d}-{day.month:02d}", f"{day.year:04d}-Q{quarter}", f"{day.year:04d}"]


async def _goals(
    session: AsyncSession,
    community_id: str,
    zone: ZoneInfo,
    period: ReportPeriod,
    history: metrics.MembershipHistory,
) -> list[dict[str, Any]]:
    rows = await goals_repository.list_goals(
        session, community_id=community_id, periods=_goal_periods(period)
    )
    # Progress as of the report period's end: its closing midnight is "now" for the goal.
    as_of = periods_rules.local_midnight(period.ends_before, zone)
    found = []
    for row in rows:
        goal = await goals_service.goal_public(session, row, zone=zone, now=as_of, history=history)
        found.append(
            {
                "goal_id": goal.id,
                "metric": goal.metric,
                "period": goal.period,
                "target": goal.target,
                "value": goal.progress.value,
                "share_of_target": goal.progress.share_of_target,
                "forecast": goal.progress.forecast,
                "status": goal.progress.status,
                "reason": goal.progress.reason,
            }
        )
    return found


def _days(period: ReportPeriod) -> list[date]:
    return [
        period.starts_on + timedelta(days=n)
        for n in range((period.ends_before - period.starts_on).days)
    ]


async def build_report(
    session: AsyncSession,
    *,
    community_id: str,
    zone: ZoneInfo,
    period: ReportPeriod,
    built_at: datetime,
) -> dict[str, Any]:
    """The report's body: KPIs against goals and the previous period, daily series, top
    content, events, the leaderboard's top 10, segment and tier moves, alerts, moderation."""
    previous = period.previous()
    # The previous period as its own report told it, when it was built (as the worker does
    # every period): the comparison is with what was reported, and the previous period's
    # figures are not counted again.
    stored = await repository.get_report(session, community_id=community_id, period=previous.name)
    before_figures: dict[str, Any] | None = None
    if stored is not None:
        before_figures = {k["name"]: k["value"] for k in stored["body"].get("kpis", [])}
        if not set(KPI_NAMES) <= set(before_figures):
            before_figures = None
    # Members are counted from the earliest day anything is measured at: the previous
    # period's start (unless its report told it), or the start of a goal shown (whose
    # period has not ended by the report's end: its samples start there).
    goal_rows = await goals_repository.list_goals(
        session, community_id=community_id, periods=_goal_periods(period)
    )
    goal_periods = [goal_rules.parse_period(row["period"]) for row in goal_rows]
    first_measured = period.starts_on if before_figures is not None else previous.starts_on
    earliest = min(
        [
            first_measured,
            *(
                p.ends_before if p.ends_before <= period.ends_before else p.starts_on
                for p in goal_periods
                if p is not None
            ),
        ]
    )
    history = await metrics.membership_history(session, community_id, since=earliest, zone=zone)
    measured = (period,) if before_figures is not None else (period, previous)
    # The active counts of every window, in one pass.
    await history.active(
        session,
        [(p.starts_on, p.ends_before) for p in measured]
        + [
            (p.ends_before - timedelta(days=n), p.ends_before) for p in measured for n in (1, 7, 30)
        ],
    )
    now_figures = asdict(
        await metrics.bucket_between(
            session, community_id, zone, period.starts_on, period.ends_before, history=history
        )
    )
    if before_figures is None:
        before_figures = asdict(
            await metrics.bucket_between(
                session,
                community_id,
                zone,
                previous.starts_on,
                previous.ends_before,
                history=history,
            )
        )
    kpis = [_kpi(name, now_figures[name], before_figures[name]) for name in KPI_NAMES]
    start = periods_rules.local_midnight(period.starts_on, zone)
    end = periods_rules.local_midnight(period.ends_before, zone)
    from_day, to_day = period.starts_on.isoformat(), period.ends_before.isoformat()
    active = await repository.daily_active_counts(
        session, community_id=community_id, from_day=from_day, to_day=to_day
    )
    activities = await repository.daily_type_totals(
        session, community_id=community_id, from_day=from_day, to_day=to_day
    )
    daily = [
        {
            "day": day.isoformat(),
            "active": active.get(day.isoformat(), 0),
            "activities": activities.get(day.isoformat(), 0),
        }
        for day in _days(period)
    ]
    ranking = await rules_content(session, community_id, period)
    board = await boards_repository.board_top(
        session,
        community_id=community_id,
        period=period.kind,
        period_start=period.starts_on.isoformat(),
        scope=COMMUNITY_SCOPE,
        limit=rules.TOP_MEMBERS,
    )
    moves = await repository.segment_moves(session, community_id=community_id, start=start, end=end)
    tiers = await repository.tier_moves(session, community_id=community_id, start=start, end=end)
    by_reason: dict[str, int] = {}
    for reason, _from, _to, n in tiers:
        by_reason[reason] = by_reason.get(reason, 0) + n
    moderation = await repository.moderation_counts(
        session, community_id=community_id, start=start, end=end
    )
    alerts = await repository.alerts_between(
        session, community_id=community_id, start=start, end=end
    )
    return {
        "community_id": community_id,
        "period": period.name,
        "kind": period.kind,
        "starts_on": period.starts_on.isoformat(),
        "ends_on": period.ends_on.isoformat(),
        "previous_period": previous.name,
        "timezone": zone.key,
        "built_at": built_at.astimezone(UTC).isoformat(),
        "kpis": kpis,
        "goals": await _goals(session, community_id, zone, period, history),
        "daily": daily,
        "top_content": ranking["items"],
        "content_kinds": ranking["kinds"],
        "events": await events_compared(
            session,
            community_id=community_id,
            zone=zone,
            first=period.starts_on,
            end=period.ends_before,
        ),
        "leaderboard": [
            {
                "rank": rank,
                "member_id": row.member_id,
                "display_name": row.display_name,
                "points": points_rules.from_milli(row.score_milli),
            }
            for rank, row in enumerate(board, start=1)
        ],
        "segments": {
            "distribution": await repository.segment_distribution(
                session, community_id=community_id
            ),
            "moves": [{"from": a, "to": b, "members": n} for a, b, n in moves],
        },
        "tier_moves": {
            "by_reason": by_reason,
            "moves": [
                {"reason": r, "from_tier_id": a, "to_tier_id": b, "members": n}
                for r, a, b, n in tiers
            ],
        },
        "alerts": [
            {
                "kind": row["kind"],
                "value": row["value"],
                "previous_value": row["previous_value"],
                "drop": row["drop"],
                "raised_at": row["raised_at"].astimezone(UTC).isoformat(),
            }
            for row in alerts
        ],
        "moderation": {
            "reports": moderation.get("report", 0),
            "sanctions": moderation.get("sanction", 0),
        },
        "incidents": None,
        "gaps": rules.GAPS,
        "formulas": rules.FORMULAS,
    }


async def rules_content(
    session: AsyncSession, community_id: str, period: ReportPeriod
) -> dict[str, Any]:
    return await content_ranking(
        session,
        community_id=community_id,
        first=period.starts_on,
        end=period.ends_before,
        limit=rules.TOP_CONTENT,
    )


def _row(
    community_id: str, period: ReportPeriod, built_at: datetime, body: dict[str, Any]
) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "period": period.name,
        "kind": str(period.kind),
        "starts_on": period.starts_on.isoformat(),
        "ends_on": period.ends_on.isoformat(),
        "built_at": built_at,
        "body": body,
    }


def _ready(community_id: str, period: ReportPeriod, built_at: datetime) -> ReportReady:
    return ReportReady(
        community_id=community_id,
        period=period.name,
        kind=str(period.kind),
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        path=f"/v1/communities/{community_id}/reports/{period.name}",
        built_at=built_at,
    )


async def get_report(
    *, session: AsyncSession, community_id: str, period_text: str, now: datetime
) -> dict[str, Any]:
    """The stored report of an ended period, or (not built yet) one built now, not stored."""
    zone = await metrics.community_zone(session, community_id)
    period = await checked_period(session, community_id, zone, period_text, now)
    stored = await repository.get_report(session, community_id=community_id, period=period.name)
    if stored is not None:
        return dict(stored["body"])
    return await build_report(
        session, community_id=community_id, zone=zone, period=period, built_at=now
    )


async def rebuild_report(
    *, uow: UnitOfWork, community_id: str, period_text: str, now: datetime
) -> dict[str, Any]:
    """Build a period's report again (late or imported activity), store it, announce it."""
    zone = await metrics.community_zone(uow.session, community_id)
    period = await checked_period(uow.session, community_id, zone, period_text, now)
    body = await build_report(
        uow.session, community_id=community_id, zone=zone, period=period, built_at=now
    )
    await repository.replace_report(uow.session, _row(community_id, period, now, body))
    await uow.outbox.add(uow.session, _ready(community_id, period, now))
    return body


async def build_due_reports(
    *, uow: UnitOfWork, community_id: str, timezone: str, now: datetime
) -> list[str]:
    """Build the last ended week's and month's reports of a community if not built yet, each
    once (the stored row is the claim); the periods built."""
    zone = periods_rules.zone(timezone)
    today = periods_rules.local_day(now, zone)
    since = await community_since(uow.session, community_id, zone)
    stored = await repository.stored_periods(uow.session, community_id=community_id)
    built = []
    for kind in (ReportKind.WEEK, ReportKind.MONTH):
        period = rules.last_ended(kind, today)
        if period.name in stored or rules.refusal(period, today=today, community_since=since):
            continue
        body = await build_report(
            uow.session, community_id=community_id, zone=zone, period=period, built_at=now
        )
        if await repository.claim_report(uow.session, _row(community_id, period, now, body)):
            await uow.outbox.add(uow.session, _ready(community_id, period, now))
            built.append(period.name)
    return built


async def list_reports(
    *, session: AsyncSession, community_id: str, after: str | None, limit: int
) -> list[dict[str, Any]]:
    await metrics.community_zone(session, community_id)
    return [
        dict(row)
        for row in await repository.list_reports(
            session, community_id=community_id, after=after, limit=limit
        )
    ]
