"""The pure rules of goals and reports: periods, samples, the linear forecast, the status, which
report periods are refused and why, content engagement, and the HTML page (escaped, nothing
fetched from elsewhere, a chart per section)."""

import re
from datetime import date

import pytest

from services.scoring.goals import rules as goals
from services.scoring.goals.rules import GoalMetric, GoalStatus, PeriodKind
from services.scoring.metrics.rules import Granularity, bucket_starts
from services.scoring.reports import html
from services.scoring.reports import rules as reports
from services.scoring.reports.rules import PeriodRefusal, ReportKind


@pytest.mark.parametrize(
    ("text", "kind", "starts", "ends_before"),
    [
        ("2026-12", PeriodKind.MONTH, date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-02", PeriodKind.MONTH, date(2026, 2, 1), date(2026, 3, 1)),
        ("2026-Q4", PeriodKind.QUARTER, date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-Q1", PeriodKind.QUARTER, date(2026, 1, 1), date(2026, 4, 1)),
        ("2026", PeriodKind.YEAR, date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_goal_periods_are_months_quarters_and_years(
    text: str, kind: PeriodKind, starts: date, ends_before: date
) -> None:
    period = goals.parse_period(text)
    assert period is not None
    assert (period.kind, period.starts_on, period.ends_before) == (kind, starts, ends_before)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-Q5", "26", "1969", "9001", "2026-1", "2026-W01", ""]
)
def test_other_goal_periods_are_refused(text: str) -> None:
    assert goals.parse_period(text) is None


def test_progress_is_sampled_each_monday_and_at_the_end_of_today() -> None:
    period = goals.parse_period("2026-12")
    assert period is not None
    assert goals.sample_days(period, date(2026, 11, 30)) == []
    # 2026-12-01 is a Tuesday: Mondays 7th and 14th, then the end of the 16th.
    assert goals.sample_days(period, date(2026, 12, 16)) == [
        date(2026, 12, 7),
        date(2026, 12, 14),
        date(2026, 12, 17),
    ]
    # An ended period's one sample is its end.
    assert goals.sample_days(period, date(2027, 3, 1)) == [date(2027, 1, 1)]


def test_the_forecast_is_the_least_squares_line_at_the_period_end() -> None:
    assert goals.linear_forecast([], 30) is None
    assert goals.linear_forecast([(5, 7.0)], 30) == 7.0
    assert goals.linear_forecast([(0, 10.0), (10, 20.0)], 30) == pytest.approx(40.0)
    # Noisy points: means (1.5, 1.5), slope 3 / 5 = 0.6, so 1.5 + 0.6 * 2.5 at x = 4.
    assert goals.linear_forecast([(0, 1.0), (1, 0.0), (2, 3.0), (3, 2.0)], 4) == pytest.approx(3.0)
    assert goals.linear_forecast([(3, 1.0), (3, 5.0)], 10) == 5.0


def test_forecasts_stay_inside_what_the_figure_can_be() -> None:
    assert goals.clamp_forecast(GoalMetric.ACTIVE_RATE, 1.7) == 1
    assert goals.clamp_forecast(GoalMetric.MEMBERS, -20) == 0
    assert goals.clamp_forecast(GoalMetric.NPS, -120) == -100


@pytest.mark.parametrize(
    ("value", "forecast", "ended", "started", "status"),
    [
        (None, None, False, False, GoalStatus.NOT_STARTED),
        (5.0, 12.0, False, True, GoalStatus.ON_TRACK),
        (5.0, 8.0, False, True, GoalStatus.OFF_TRACK),
        (10.0, 10.0, True, True, GoalStatus.MET),
        (9.0, 9.0, True, True, GoalStatus.MISSED),
        (None, None, False, True, GoalStatus.UNKNOWN),
    ],
)
def test_goal_status(
    value: float | None, forecast: float | None, ended: bool, started: bool, status: GoalStatus
) -> None:
    assert (
        goals.goal_status(target=10, value=value, forecast=forecast, ended=ended, started=started)
        == status
    )


def test_nps_goals_are_accepted_but_have_no_series_yet() -> None:
    assert GoalMetric.NPS in goals.UNAVAILABLE
    assert set(goals.TARGET_RANGE) == set(GoalMetric)


@pytest.mark.parametrize(
    ("text", "kind", "starts", "ends_on"),
    [
        ("2026-11", ReportKind.MONTH, date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-W48", ReportKind.WEEK, date(2026, 11, 23), date(2026, 11, 29)),
        ("2026-W01", ReportKind.WEEK, date(2025, 12, 29), date(2026, 1, 4)),
        ("2026-W53", ReportKind.WEEK, date(2026, 12, 28), date(2027, 1, 3)),
    ],
)
def test_report_periods(text: str, kind: ReportKind, starts: date, ends_on: date) -> None:
    period = reports.parse_period(text)
    assert period is not None
    assert (period.name, period.kind, period.starts_on, period.ends_on) == (
        text,
        kind,
        starts,
        ends_on,
    )


@pytest.mark.parametrize(
    "text", ["2025-W53", "2026-W00", "2026-W54", "2026-13", "2026", "2026-Q4", "x", "1969-12"]
)
def test_other_report_periods_are_refused(text: str) -> None:
    assert reports.parse_period(text) is None


def test_previous_periods() -> None:
    january = reports.parse_period("2027-01")
    week = reports.parse_period("2027-W01")
    assert january is not None and week is not None
    assert january.previous().name == "2026-12"
    assert week.previous().name == "2026-W53"


def test_the_last_ended_periods() -> None:
    # Tuesday 2026-12-08: the week of Nov 30 ended, and November.
    assert reports.last_ended(ReportKind.WEEK, date(2026, 12, 8)).name == "2026-W49"
    assert reports.last_ended(ReportKind.MONTH, date(2026, 12, 8)).name == "2026-11"
    assert reports.last_ended(ReportKind.MONTH, date(2027, 1, 1)).name == "2026-12"


@pytest.mark.parametrize(
    ("text", "since", "refusal"),
    [
        ("2026-11", date(2026, 1, 1), None),
        ("2026-12", date(2026, 1, 1), PeriodRefusal.NOT_ENDED),
        ("2027-01", date(2026, 1, 1), PeriodRefusal.IN_FUTURE),
        ("2026-10", date(2026, 11, 1), PeriodRefusal.BEFORE_COMMUNITY),
        # Existing on the period's last day is enough.
        ("2026-10", date(2026, 10, 31), None),
        ("2026-W49", date(2026, 12, 6), None),
    ],
)
def test_which_report_periods_can_be_had(
    text: str, since: date, refusal: PeriodRefusal | None
) -> None:
    period = reports.parse_period(text)
    assert period is not None
    assert reports.refusal(period, today=date(2026, 12, 8), community_since=since) == refusal


def test_content_engagement_weighs_shares_over_views() -> None:
    assert reports.engagement_score({"content_view": 3, "share": 1}) == 8
    assert reports.engagement_score({"reply": 1, "reaction": 2, "poll_vote": 1}) == 9
    assert reports.engagement_score({"content_published": 5}) == 0


def test_changes_against_the_previous_period() -> None:
    assert reports.change(15, 10) == 0.5
    assert reports.change(5, 10) == -0.5
    assert reports.change(5, 0) is None
    assert reports.change(None, 3) is None


def test_monthly_buckets_follow_the_calendar() -> None:
    assert bucket_starts(Granularity.MONTH, date(2026, 11, 15), date(2027, 1, 2)) == [
        (date(2026, 11, 1), date(2026, 12, 1)),
        (date(2026, 12, 1), date(2027, 1, 1)),
        (date(2027, 1, 1), date(2027, 2, 1)),
    ]
    assert bucket_starts(Granularity.WEEK, date(2026, 12, 9), date(2026, 12, 9)) == [
        (date(2026, 12, 7), date(2026, 12, 14))
    ]


def _report(title: str) -> dict[str, object]:
    return {
        "period": "2026-11",
        "kind": "month",
        "starts_on": "2026-11-01",
        "ends_on": "2026-11-30",
        "previous_period": "2026-10",
        "timezone": "Asia/Shanghai",
        "built_at": "2026-12-01T00:00:00+00:00",
        "kpis": [
            {"name": "messages", "value": 5, "previous": 2, "change": 1.5, "formula": "f"},
            {"name": "replies", "value": 0, "previous": 0, "change": None, "formula": "f"},
        ],
        "goals": [],
        "daily": [{"day": "2026-11-01", "active": 2, "activities": 4}],
        "top_content": [{"content_id": "cnt_1", "title": title, "engagement": 8.0}],
        "content_kinds": [],
        "events": [],
        "leaderboard": [],
        "segments": {"distribution": {"core": 1}, "moves": []},
        "tier_moves": {"by_reason": {}, "moves": []},
        "alerts": [],
        "moderation": {"reports": 0, "sanctions": 0},
        "gaps": {"incidents": "not seen"},
    }


def test_the_html_page_escapes_text_and_fetches_nothing() -> None:
    page = html.render(_report('<script>alert("x")</script> 入门 📘'))
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 入门 📘" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert page.count('<svg class="chart"') == 5
    assert "no data in this period" not in page.split("Content by engagement")[1][:400]
