"""What a survey is and how its answers count, pure: the question kinds, an answer checked
against its question, the tally keys an answer increments, means and NPS from the tallies, the
CSV cells of a response."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

MAX_QUESTIONS = 30
MAX_OPTIONS = 20
MAX_TEXT_ANSWER = 2000
SCALE = range(1, 6)
NPS_SCALE = range(0, 11)
# The tally key counting a question's answers of any value.
ANSWERED = "*"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such a
# cell is written with a leading apostrophe, which Excel shows as plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class QuestionKind(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE = "scale"  # 1-5
    NPS = "nps"  # 0-10
    TEXT = "text"


class AudienceKind(StrEnum):
    EVERYONE = "everyone"
    TIERS = "tiers"
    SEGMENTS = "segments"
    TAGS = "tags"
    EVENT = "event"  # the members who checked in to one event


class SurveyKind(StrEnum):
    STANDARD = "standard"
    POST_EVENT = "post_event"
    SATISFACTION = "satisfaction"  # the monthly NPS survey


class SurveyStatus(StrEnum):
    TEMPLATE = "template"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    text: str
    required: bool = False
    options: tuple[str, ...] = ()
    max_length: int = MAX_TEXT_ANSWER

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> "Question":
        return cls(
            id=stored["id"],
            kind=QuestionKind(stored["kind"]),
            text=stored["text"],
            required=bool(stored.get("required", False)),
            options=tuple(stored.get("options") or ()),
            max_length=int(stored.get("max_length") or MAX_TEXT_ANSWER),
        )


class AnswerRefused(ValueError):
    """An answer its question does not accept; `field` names it (`answers.<question id>`)."""

    def __init__(self, question_id: str, reason: str) -> None:
        super().__init__(reason)
        self.field = f"answers.{question_id}"
        self.question_id = question_id
        self.reason = reason


def status(
    *,
    template: bool,
    opens_at: datetime,
    closes_at: datetime,
    closed_at: datetime | None,
    now: datetime,
) -> SurveyStatus:
    """Where a survey stands now: only an open one takes answers."""
    if template:
        return SurveyStatus.TEMPLATE
    if closed_at is not None or now >= closes_at:
        return SurveyStatus.CLOSED
    if now < opens_at:
        return SurveyStatus.SCHEDULED
    return SurveyStatus.OPEN


def tally_keys(question: Question) -> list[str]:
    """Every tally a question has, made with the survey so each answer is one UPDATE."""
    if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        values = [str(index) for index in range(len(question.options))]
    elif question.kind == QuestionKind.SCALE:
        values = [str(point) for point in SCALE]
    elif question.kind == QuestionKind.NPS:
        values = [str(point) for point in NPS_SCALE]
    else:
        values = []
    return [*values, ANSWERED]


def check_answers(
    questions: Sequence[Question], answers: Mapping[str, Any]
) -> dict[str, list[str]]:
    """The tally keys each answered question increments; AnswerRefused for the first answer
    its question does not take (unknown question, not an option, off the scale, too long,
    a required question left out)."""
    by_id = {question.id: question for question in questions}
    for question_id in answers:
        if question_id not in by_id:
            raise AnswerRefused(question_id, "this survey has no such question")
    keys: dict[str, list[str]] = {}
    for question in questions:
        value = answers.get(question.id)
        if value is None or value in ([], ""):
            if question.required:
                raise AnswerRefused(question.id, "this question must be answered")
            continue
        keys[question.id] = [*_keys_of(question, value), ANSWERED]
    return keys


def _keys_of(question: Question, value: Any) -> list[str]:
    kind = question.kind
    if kind == QuestionKind.SINGLE_CHOICE:
        if not isinstance(value, str):
            raise AnswerRefused(question.id, "answer with one of the options (a string)")
        return [_option_index(question, value)]
    if kind == QuestionKind.MULTIPLE_CHOICE:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise AnswerRefused(question.id, "answer with a list of the options")
        if len(set(value)) != len(value):
            raise AnswerRefused(question.id, "an option is chosen at most once")
        return [_option_index(question, item) for item in value]
    if kind in (QuestionKind.SCALE, QuestionKind.NPS):
        scale = SCALE if kind == QuestionKind.SCALE else NPS_SCALE
        # bool is an int to Python; true is no point on a scale.
        if isinstance(value, bool) or not isinstance(value, int) or value not in scale:
            raise AnswerRefused(
                question.id, f"answer with a whole number from {scale.start} to {scale.stop - 1}"
            )
        return [str(value)]
    if not isinstance(value, str):
        raise AnswerRefused(question.id, "answer with text")
    if len(value) > question.max_length:
        raise AnswerRefused(question.id, f"at most {question.max_length} characters")
    return []


def _option_index(question: Question, value: str) -> str:
    try:
        return str(question.options.index(value))
    except ValueError:
        raise AnswerRefused(question.id, f"{value[:100]!r} is not one of the options") from None


def mean(histogram: Mapping[int, int]) -> float | None:
    """The mean of a scale's answers from its per-point counts; None without answers."""
    total = sum(histogram.values())
    if total == 0:
        return None
    return round(sum(point * count for point, count in histogram.items()) / total, 2)


@dataclass(frozen=True)
class NetPromoter:
    promoters: int  # 9-10
    passives: int  # 7-8
    detractors: int  # 0-6
    score: float | None  # % promoters - % detractors, -100…100; None without answers


def net_promoter(histogram: Mapping[int, int]) -> NetPromoter:
    """NPS from per-point counts of a 0-10 question: promoters (9-10) minus detractors (0-6),
    as a percentage of all answers, to one decimal."""
    promoters = sum(count for point, count in histogram.items() if point >= 9)
    detractors = sum(count for point, count in histogram.items() if point <= 6)
    total = sum(histogram.values())
    score = round((promoters - detractors) * 100 / total, 1) if total else None
    return NetPromoter(
        promoters=promoters,
        passives=total - promoters - detractors,
        detractors=detractors,
        score=score,
    )


def in_audience(
    *,
    kind: AudienceKind,
    values: Iterable[str],
    tier_id: str | None,
    segment: str | None,
    tags: Iterable[str],
    attended: bool,
) -> bool:
    """Whether a member (their tier, segment, tags, and whether they attended the survey's
    event) is one the survey asks."""
    wanted = set(values)
    if kind == AudienceKind.EVERYONE:
        return True
    if kind == AudienceKind.TIERS:
        return tier_id in wanted
    if kind == AudienceKind.SEGMENTS:
        return segment in wanted
    if kind == AudienceKind.TAGS:
        return bool(wanted.intersection(tags))
    return attended


def csv_cell(value: Any, question: Question | None = None) -> str:
    """One CSV cell: a list joined by "; ", None empty, text that a spreadsheet would run as a
    formula made inert with a leading apostrophe."""
    if value is None:
        return ""
    text = "; ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if question is not None and question.kind in (QuestionKind.SCALE, QuestionKind.NPS):
        return text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_header(questions: Sequence[Question]) -> list[str]:
    return [
        "response_id",
        "member_id",
        "submitted_at",
        *(csv_cell(f"{question.id} {question.text}") for question in questions),
    ]


def csv_row(
    *,
    response_id: str,
    member_id: str | None,
    submitted_at: datetime | None,
    answers: Mapping[str, Any],
    questions: Sequence[Question],
) -> list[str]:
    return [
        response_id,
        member_id or "",
        submitted_at.isoformat() if submitted_at else "",
        *(csv_cell(answers.get(question.id), question) for question in questions),
    ]


def month_window(timezone: str, now: datetime) -> tuple[str, datetime]:
    """The month `now` falls in, in the community's timezone ("2026-12"), and when the next
    one starts there (as UTC): the monthly survey's name and end."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    following = (local.replace(day=1) + timedelta(days=32)).replace(day=1)
    # Midnight of the 1st on the wall clock there, whatever offset a DST change gives it.
    starts = datetime(following.year, following.month, 1, tzinfo=zone)
    return f"{local.year:04d}-{local.month:02d}", starts.astimezone(now.tzinfo)
