"""The member journey's pure rules: the welcome template language (placeholders known and
unknown, one-pass rendering, which template wins, what `{rules}` stands for), application
forms and answers (every problem named by its field), exit reasons."""

import pytest

from services.common.events.catalogue.vocabulary import ExitReason
from services.members.applications.rules import (
    Answer,
    Question,
    QuestionKind,
    answer_problems,
    answers_kept,
    form_problems,
)
from services.members.exits.schemas import MemberDeparture
from services.members.exits.service import exit_reason
from services.members.welcome.rules import (
    Placeholder,
    chosen_template,
    render,
    rules_text,
    unknown_placeholders,
)

VALUES = {
    Placeholder.NAME: "小林 🌱",
    Placeholder.COMMUNITY: "读书会",
    Placeholder.TIER: "二群",
    Placeholder.RULES: "友善交流",
}


@pytest.mark.parametrize(
    ("template", "unknown"),
    [
        ("欢迎 {name} 加入{community}({tier}): {rules}", []),
        ("Hi {nmae}", ["nmae"]),
        ("{名字} 你好 {名字} {x1}", ["名字", "x1"]),
        ("{NAME}", ["NAME"]),  # placeholders are lower case
        ("{0} {name}", ["0"]),
        ("no placeholders at all :-} { hi", []),
        ("{ name } {}", [" name ", ""]),  # anything between braces: a typo is caught
        ("{{name}}", []),  # the inner {name} is a placeholder; the outer braces stay text
    ],
)
def test_unknown_placeholders_are_found_each_once_in_order(
    template: str, unknown: list[str]
) -> None:
    assert unknown_placeholders(template) == unknown


def test_render_fills_every_placeholder_in_one_pass() -> None:
    text = render("欢迎 {name} 加入{community}, 你在{tier}。群规: {rules} {name}", VALUES)
    assert text == "欢迎 小林 🌱 加入读书会, 你在二群。群规: 友善交流 小林 🌱"
    # A display name that looks like a placeholder is not expanded again.
    tricky = {**VALUES, Placeholder.NAME: "{rules}"}
    assert render("Hi {name}", tricky) == "Hi {rules}"
    # A missing value renders empty (a member without a tier); an unknown name stays verbatim.
    assert render("[{tier}] {other}", {Placeholder.NAME: "x"}) == "[] {other}"


def test_the_tier_template_overrides_the_community_one() -> None:
    assert chosen_template(community_template="C", tier_template="T") == ("T", "tier")
    assert chosen_template(community_template="C", tier_template=None) == ("C", "community")
    assert chosen_template(community_template=None, tier_template=None) is None
    assert chosen_template(community_template="", tier_template="") is None


def test_rules_text_is_the_summary_else_the_rules_list() -> None:
    assert rules_text("https://example.com/rules", ["a", "b"]) == "https://example.com/rules"
    assert rules_text(None, ["友善交流", "", "不发广告"]) == "友善交流\n不发广告"
    assert rules_text(None, []) == ""


TEXT = Question(id="q_why", prompt="为什么?", kind=QuestionKind.TEXT, options=(), required=True)
CHOICE = Question(
    id="q_books", prompt="几本?", kind=QuestionKind.CHOICE, options=("1", "2+"), required=False
)
FORM = [TEXT, CHOICE]


def test_a_form_needs_options_for_choices_only_and_known_ids() -> None:
    bad = [
        Question(id="q_a", prompt="p", kind=QuestionKind.CHOICE, options=("x",), required=False),
        Question(id="q_b", prompt="p", kind=QuestionKind.TEXT, options=("x",), required=False),
        Question(id="q_c", prompt="p", kind=QuestionKind.CHOICE, options=("x", "x"), required=True),
        Question(id="q_c", prompt="p", kind=QuestionKind.TEXT, options=(), required=False),
    ]
    problems = form_problems(bad, given_ids=[None, "q_b", None, "q_c"], existing={"q_c"})
    assert [loc for loc, _ in problems] == [
        ("body", "questions", 0, "options"),
        ("body", "questions", 1, "id"),  # q_b was never a question of this form
        ("body", "questions", 1, "options"),
        ("body", "questions", 2, "options"),
        ("body", "questions", 3, "id"),  # given twice
    ]
    assert form_problems(FORM, given_ids=[None, None], existing=set()) == []


def test_answers_are_checked_against_the_questions() -> None:
    good = [Answer("q_why", "想认识书友"), Answer("q_books", "2+")]
    assert answer_problems(FORM, good, required_enforced=True) == []
    problems = answer_problems(
        FORM,
        [Answer("q_nope", "x"), Answer("q_books", "3"), Answer("q_books", "1")],
        required_enforced=True,
    )
    assert problems == [
        (("body", "answers", 0, "question_id"), "is not a question of this community"),
        (("body", "answers", 1, "answer"), "is not one of the question's options"),
        (("body", "answers", 2, "question_id"), "is answered twice"),
        (("body", "answers"), "question 'q_why' is required: answer it"),
    ]
    # A blank answer to a required question is no answer.
    blank = answer_problems(FORM, [Answer("q_why", "  ")], required_enforced=True)
    assert blank == [(("body", "answers"), "question 'q_why' is required: answer it")]
    # A join that takes effect at once does not need the required ones.
    assert answer_problems(FORM, [], required_enforced=False) == []


def test_answers_are_kept_with_their_questions_in_the_forms_order() -> None:
    kept = answers_kept(FORM, [Answer("q_books", "1"), Answer("q_why", "为了读书 📚")])
    assert kept == [
        {"question_id": "q_why", "prompt": "为什么?", "kind": "text", "answer": "为了读书 📚"},
        {"question_id": "q_books", "prompt": "几本?", "kind": "choice", "answer": "1"},
    ]
    assert answers_kept(FORM, [Answer("q_why", " ")]) == []


def test_exit_reason_of_a_departure() -> None:
    assert exit_reason(None) is None
    assert exit_reason(MemberDeparture()) is None
    assert exit_reason(MemberDeparture(reason=ExitReason.NO_TIME)) == ExitReason.NO_TIME
    # Words without a reason count as `other`.
    assert exit_reason(MemberDeparture(text="太吵了")) == ExitReason.OTHER
