"""The surveys' pure rules: answers checked against their questions (each refusal names the
question), the tally keys an answer increments, means, NPS, survey status, audience, CSV cells."""

from datetime import UTC, datetime, timedelta

import pytest

from services.members.surveys.rules import (
    ANSWERED,
    AnswerRefused,
    AudienceKind,
    Question,
    QuestionKind,
    SurveyStatus,
    check_answers,
    csv_cell,
    csv_row,
    in_audience,
    mean,
    month_window,
    net_promoter,
    status,
    tally_keys,
)

QUESTIONS = [
    Question("color", QuestionKind.SINGLE_CHOICE, "颜色", required=True, options=("红", "绿")),
    Question("kinds", QuestionKind.MULTIPLE_CHOICE, "活动", options=("聚会", "分享", "志愿")),
    Question("scale", QuestionKind.SCALE, "满意度"),
    Question("nps", QuestionKind.NPS, "推荐"),
    Question("why", QuestionKind.TEXT, "原因", max_length=10),
]
NOW = datetime(2026, 12, 8, tzinfo=UTC)


def test_a_full_answer_increments_each_chosen_value_and_answered() -> None:
    keys = check_answers(
        QUESTIONS,
        {"color": "绿", "kinds": ["聚会", "志愿"], "scale": 5, "nps": 0, "why": "好 🎉"},
    )
    assert keys == {
        "color": ["1", ANSWERED],
        "kinds": ["0", "2", ANSWERED],
        "scale": ["5", ANSWERED],
        "nps": ["0", ANSWERED],
        "why": [ANSWERED],
    }


def test_optional_questions_may_be_left_out() -> None:
    assert check_answers(QUESTIONS, {"color": "红", "kinds": [], "why": ""}) == {
        "color": ["0", ANSWERED]
    }


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "answers.color"),  # required
        ({"color": "蓝"}, "answers.color"),  # not an option
        ({"color": ["红"]}, "answers.color"),  # a list for a single choice
        ({"color": "红", "kinds": ["聚会", "聚会"]}, "answers.kinds"),  # twice
        ({"color": "红", "kinds": ["旅行"]}, "answers.kinds"),
        ({"color": "红", "scale": 6}, "answers.scale"),  # outside the scale
        ({"color": "红", "scale": 0}, "answers.scale"),
        ({"color": "红", "scale": True}, "answers.scale"),  # a bool is no point
        ({"color": "红", "scale": "3"}, "answers.scale"),
        ({"color": "红", "nps": 11}, "answers.nps"),
        ({"color": "红", "nps": -1}, "answers.nps"),
        ({"color": "红", "nps": 2**70}, "answers.nps"),  # hostile number
        ({"color": "红", "why": "x" * 11}, "answers.why"),  # longer than its max_length
        ({"color": "红", "why": "x" * 100_000}, "answers.why"),  # 100 KB
        ({"color": "红", "why": 3}, "answers.why"),
        ({"color": "红", "ghost": 1}, "answers.ghost"),  # unknown question id
    ],
)
def test_each_refusal_names_the_question(answers: dict[str, object], field: str) -> None:
    with pytest.raises(AnswerRefused) as refused:
        check_answers(QUESTIONS, answers)
    assert refused.value.field == field


def test_tallies_cover_every_option_or_point_and_answered() -> None:
    assert tally_keys(QUESTIONS[0]) == ["0", "1", ANSWERED]
    assert tally_keys(QUESTIONS[2]) == ["1", "2", "3", "4", "5", ANSWERED]
    assert len(tally_keys(QUESTIONS[3])) == 12
    assert tally_keys(QUESTIONS[4]) == [ANSWERED]


def test_mean_of_a_scale() -> None:
    assert mean({}) is None
    assert mean({1: 1, 5: 1}) == 3.0
    assert mean({4: 2, 5: 1}) == 4.33


def test_nps_is_promoters_minus_detractors_as_a_percentage() -> None:
    # 3 promoters (9, 10, 10), 2 passives (7, 8), 5 detractors (0-6): (3 - 5) / 10 = -20 %.
    score = net_promoter({10: 2, 9: 1, 8: 1, 7: 1, 6: 2, 3: 2, 0: 1})
    assert (score.promoters, score.passives, score.detractors) == (3, 2, 5)
    assert score.score == -20.0
    assert net_promoter({9: 1}).score == 100.0
    assert net_promoter({6: 3}).score == -100.0
    assert net_promoter({}).score is None
    assert net_promoter({10: 1, 7: 2}).score == 33.3


def test_status_follows_the_window_and_a_close() -> None:
    opens, closes = NOW, NOW + timedelta(days=1)

    def at(now: datetime, closed_at: datetime | None = None, template: bool = False) -> str:
        return status(
            template=template, opens_at=opens, closes_at=closes, closed_at=closed_at, now=now
        )

    assert at(NOW - timedelta(seconds=1)) == SurveyStatus.SCHEDULED
    assert at(NOW) == SurveyStatus.OPEN
    assert at(closes) == SurveyStatus.CLOSED
    assert at(NOW, closed_at=NOW) == SurveyStatus.CLOSED
    assert at(NOW, template=True) == SurveyStatus.TEMPLATE


def asks(kind: AudienceKind, values: list[str], *, attended: bool = False) -> bool:
    """Whether a survey asks a member of tier t1, segment silent, tagged 志愿者."""
    return in_audience(
        kind=kind, values=values, tier_id="t1", segment="silent", tags=["志愿者"], attended=attended
    )


def test_audience() -> None:
    assert asks(AudienceKind.EVERYONE, [])
    assert asks(AudienceKind.TIERS, ["t1", "t2"])
    assert not asks(AudienceKind.TIERS, ["t2"])
    assert asks(AudienceKind.SEGMENTS, ["silent"])
    assert not asks(AudienceKind.SEGMENTS, ["core"])
    assert asks(AudienceKind.TAGS, ["志愿者", "kol"])
    assert not asks(AudienceKind.TAGS, ["kol"])
    assert not asks(AudienceKind.EVENT, ["evt_1"])
    assert asks(AudienceKind.EVENT, ["evt_1"], attended=True)


def test_csv_cells_keep_chinese_and_defuse_formulas() -> None:
    assert csv_cell(["聚会", "分享"]) == "聚会; 分享"
    assert csv_cell(None) == ""
    assert csv_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert csv_cell("@SUM(1)") == "'@SUM(1)"
    assert csv_cell(-1, QUESTIONS[3]) == "-1"  # a number is no formula
    row = csv_row(
        response_id="r1",
        member_id=None,
        submitted_at=None,
        answers={"color": "红", "why": "很好 👍"},
        questions=QUESTIONS,
    )
    assert row == ["r1", "", "", "红", "", "", "", "很好 👍"]


def test_the_month_is_the_communitys() -> None:
    # 16:30 UTC on 30 November is already 1 December in Shanghai.
    month, ends = month_window("Asia/Shanghai", datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    assert (month, ends) == ("2026-12", datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    # New York leaves daylight saving time in November: the month ends at 05:00 UTC, not 04:00.
    month, ends = month_window("America/New_York", datetime(2026, 11, 2, tzinfo=UTC))
    assert (month, ends) == ("2026-11", datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    month, _ = month_window("America/New_York", datetime(2026, 11, 1, 3, 0, tzinfo=UTC))
    assert month == "2026-10"
