"""Reports: their periods, which are due, how content and events are ranked, and the formula of
every figure a report shows.

Pure functions and constants; no SQL, no FastAPI.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.common.events.catalogue.vocabulary import ActivityType


class ReportKind(StrEnum):
    WEEK = "week"
    MONTH = "month"


_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")
_WEEK = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")
EARLIEST_YEAR = 1970
LATEST_YEAR = 9000


@dataclass(frozen=True)
class ReportPeriod:
    """A report's period: local days [starts_on, ends_before)."""

    name: str
    kind: ReportKind
    starts_on: date
    ends_before: date

    @property
    def ends_on(self) -> date:
        return self.ends_before - timedelta(days=1)

    def previous(self) -> "ReportPeriod":
        if self.kind == ReportKind.WEEK:
            return week_period(self.starts_on - timedelta(days=7))
        return month_period((self.starts_on - timedelta(days=1)).replace(day=1))


def month_period(first: date) -> ReportPeriod:
    end = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return ReportPeriod(f"{first.year:04d}-{first.month:02d}", ReportKind.MONTH, first, end)


def week_period(monday: date) -> ReportPeriod:
    year, week, _ = monday.isocalendar()
    return ReportPeriod(
        f"{year:04d}-W{week:02d}", ReportKind.WEEK, monday, monday + timedelta(days=7)
    )


def parse_period(text: str) -> ReportPeriod | None:
    """`2026-11` (a calendar month) or `2026-W48` (an ISO week); None when it is neither."""
    if (match := _MONTH.fullmatch(text)) is not None:
        year, month = int(match["year"]), int(match["month"])
        if EARLIEST_YEAR <= year <= LATEST_YEAR and 1 <= month <= 12:
            return month_period(date(year, month, 1))
        return None
    if (match := _WEEK.fullmatch(text)) is not None:
        year, week = int(match["year"]), int(match["week"])
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            return None
        try:
            return week_period(date.fromisocalendar(year, week, 1))
        except ValueError:  # week 53 of a year that has 52
            return None
    return None


def last_ended(kind: ReportKind, today: date) -> ReportPeriod:
    """The latest period of this kind that ended before `today` (a local day)."""
    if kind == ReportKind.WEEK:
        return week_period(today - timedelta(days=today.weekday()) - timedelta(days=7))
    return month_period((today.replace(day=1) - timedelta(days=1)).replace(day=1))


class PeriodRefusal(StrEnum):
    NOT_ENDED = "not_ended"
    IN_FUTURE = "in_future"
    BEFORE_COMMUNITY = "before_community"


def refusal(period: ReportPeriod, *, today: date, community_since: date) -> PeriodRefusal | None:
    """Why a report of this period cannot be had, if it cannot: a report covers a period that
    ended (by the community's clock) and in which the community existed."""
    if period.starts_on > today:
        return PeriodRefusal.IN_FUTURE
    if period.ends_before > today:
        return PeriodRefusal.NOT_ENDED
    if period.ends_on < community_since:
        return PeriodRefusal.BEFORE_COMMUNITY
    return None


# Activities that name a content item and count as engagement with it (its author's own
# publication or approval does not).
CONTENT_ENGAGEMENT = frozenset(
    {
        ActivityType.CONTENT_VIEW,
        ActivityType.SHARE,
        ActivityType.REACTION,
        ActivityType.REPLY,
        ActivityType.POLL_VOTE,
        ActivityType.MESSAGE,
    }
)


# How much one activity of each type is worth in a content item's engagement score: a share
# or a reply says more than a glance (docs/scoring.md gives the formula).
ENGAGEMENT_WEIGHTS: dict[str, float] = {
    ActivityType.CONTENT_VIEW: 1.0,
    ActivityType.REACTION: 2.0,
    ActivityType.POLL_VOTE: 2.0,
    ActivityType.MESSAGE: 3.0,
    ActivityType.REPLY: 3.0,
    ActivityType.SHARE: 5.0,
}


def engagement_score(counts: dict[str, int]) -> float:
    return round(sum(ENGAGEMENT_WEIGHTS.get(kind, 0.0) * n for kind, n in counts.items()), 3)


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def change(value: float | None, previous: float | None) -> float | None:
    """The relative change from the previous period (None when there is nothing to compare)."""
    if value is None or previous is None or previous == 0:
        return None
    return round((value - previous) / abs(previous), 4)


TOP_CONTENT = 10
TOP_MEMBERS = 10


# Every figure a report shows, and how it is computed: the report carries this so a reader
# never has to guess (docs/scoring.md says the same).
FORMULAS: dict[str, str] = {
    "members": "Members at the end of the period: joins minus departures before the local "
    "midnight ending it, plus members active before they joined (imported history).",
    "new": "Members who became members in the period (joined, or first active before joining).",
    "left": "Departures (left or removed) in the period.",
    "growth_rate": "(members at end - members at start) / members at start.",
    "active": "Distinct members with at least one activity on a local day of the period.",
    "active_rate": "active / members at the end of the period.",
    "wau": "Distinct members active in the last 7 local days of the period.",
    "dau": "Distinct members active on the period's last local day.",
    "messages": "Activities of type message in the period.",
    "replies": "Activities of type reply in the period.",
    "reactions": "Activities of type reaction in the period.",
    "content_items": "Content items published in the period (content.published, official "
    "items too).",
    "checkins": "Event check-ins (event_attended) in the period.",
    "challenge_checkins": "打卡 challenge check-ins in the period.",
    "interaction_rate": "(replies + reactions + shares) / (messages + content published + UGC "
    "approved).",
    "content_engagement": "(content views + shares + poll votes) / content published by members.",
    "event_participation": "event check-ins / members at the end of the period.",
    "churn_rate": "left / members at the start of the period.",
    "change": "(this period - previous period) / |previous period|; null when the previous is 0.",
    "goal.progress": "The goal's figure at the end of the report period (see Goals); "
    "share_of_target = value / target.",
    "top_content.engagement": "views*1 + reactions*2 + poll votes*2 + messages*3 + replies*3 "
    "+ shares*5 of activities naming the item, on local days of the period.",
    "content_kinds.engagement_per_item": "engagement of the kind's items / items of the kind "
    "engaged with in the period.",
    "events.attendance_rate": "attended / registered (confirmed registrations).",
    "events.no_shows": "registered - attended, once the event is completed.",
    "events.no_show_rate": "no_shows / registered.",
    "events.average_rating": "mean of the feedback ratings (1-5).",
    "leaderboard": "The period's board (points credited on its local days), top 10.",
    "segments.distribution": "Members per segment when the report was built.",
    "segments.moves": "segment.changed in the period, counted by (from, to).",
    "tier_moves": "member.tier_changed in the period, counted by reason (promoted, demoted, "
    "manual).",
    "alerts": "Health alerts raised in the period.",
    "moderation.reports": "Reports filed (report.filed) in the period, by UTC hour counted.",
    "moderation.sanctions": "Sanctions issued (member.sanctioned) in the period.",
}


# What a report cannot show from the events scoring receives, and why.
GAPS: dict[str, str] = {
    "incidents": "Incidents (危机处理) are kept by the members service and announce no event "
    "scoring consumes; the report shows the alerts and the report and sanction counts that "
    "open them.",
    "nps": "Event feedback carries a 1-5 rating and no NPS; survey NPS is not announced to "
    "scoring yet, so NPS figures are null.",
    "content_tags": "content.published carries no tags, so content is ranked by item and "
    "kind; tags stay empty until the event carries them.",
}
