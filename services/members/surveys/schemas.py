"""Request and response shapes of surveys, responses, results and the survey settings."""

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.common.fields import Timestamp, Utf8Text
from services.members.surveys.rules import (
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_TEXT_ANSWER,
    AudienceKind,
    QuestionKind,
    SurveyKind,
    SurveyStatus,
)

QuestionId = Annotated[
    str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Utf8Text
]
# An answer's value as JSON carries it; its question decides what is accepted (rules.py), so a
# text of any length reaches the check that names its question.
AnswerValue = StrictInt | Annotated[str, Utf8Text] | list[Annotated[str, Utf8Text]]

_EXAMPLE_QUESTIONS: list[JsonValue] = [
    {"id": "q1", "kind": "nps", "text": "你有多大可能向朋友推荐本社群", "required": True},
    {"id": "q2", "kind": "single_choice", "text": "你最常参加哪类活动",
     "options": ["主题聚会", "知识分享", "志愿服务"]},
    {"id": "q3", "kind": "scale", "text": "你对内容质量的满意度 (1-5)"},
    {"id": "q4", "kind": "text", "text": "还有什么建议", "max_length": 500},
]  # fmt: skip


class QuestionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: QuestionId
    kind: QuestionKind
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), Utf8Text
    ]
    required: bool = False
    options: list[Label] | None = Field(default=None, max_length=MAX_OPTIONS)
    max_length: int | None = Field(default=None, ge=1, le=MAX_TEXT_ANSWER)

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        choice = self.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
        if choice and (self.options is None or len(self.options) < 2):
            raise ValueError("a choice question needs at least 2 options")
        if not choice and self.options is not None:
            raise ValueError("only a choice question has options")
        if self.options is not None and len(set(self.options)) != len(self.options):
            raise ValueError("options must differ from each other")
        if self.max_length is not None and self.kind != QuestionKind.TEXT:
            raise ValueError("only a text question has max_length")
        return self


class Audience(BaseModel):
    """Who a survey asks: everyone, members of these tiers, segments or tags, or the members
    who checked in to one event (`values` = [event id])."""

    model_config = ConfigDict(extra="forbid")

    kind: AudienceKind = AudienceKind.EVERYONE
    values: list[Annotated[str, StringConstraints(min_length=1, max_length=60), Utf8Text]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _values_fit_kind(self) -> Self:
        if self.kind == AudienceKind.EVERYONE and self.values:
            raise ValueError("an audience of everyone takes no values")
        if self.kind == AudienceKind.EVENT and len(self.values) != 1:
            raise ValueError("an event audience names exactly one event id")
        if self.kind != AudienceKind.EVERYONE and not self.values:
            raise ValueError(f"a {self.kind} audience names at least one value")
        return self


class SurveyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "2026 年度社群满意度调查",
                    "questions": _EXAMPLE_QUESTIONS,
                    "audience": {"kind": "everyone"},
                    "anonymous": True,
                    "closes_at": "2099-12-31T23:59:00+08:00",
                }
            ]
        },
    )

    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Utf8Text
    ]
    description: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), Utf8Text] | None
    ) = None
    questions: list[QuestionCreate] = Field(min_length=1, max_length=MAX_QUESTIONS)
    audience: Audience = Field(default_factory=Audience)
    anonymous: bool = False
    # A template is never answered: the post-event survey copies it (survey settings).
    template: bool = False
    opens_at: Timestamp | None = None  # None: now
    closes_at: Timestamp | None = None  # None: 14 days after it opens

    @field_validator("questions")
    @classmethod
    def _distinct_ids(cls, questions: list[QuestionCreate]) -> list[QuestionCreate]:
        ids = [question.id for question in questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must differ from each other")
        return questions


class QuestionPublic(BaseModel):
    id: str
    kind: QuestionKind
    text: str
    required: bool
    options: list[str] | None = None
    max_length: int | None = None


class SurveyPublic(BaseModel):
    id: str
    community_id: str
    title: str
    description: str | None
    questions: list[QuestionPublic]
    audience: Audience
    anonymous: bool
    template: bool
    kind: SurveyKind
    status: SurveyStatus
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    response_count: int
    created_by: str
    created_at: datetime


class ResponseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"answers": {"q1": 9, "q2": "知识分享", "q3": 4, "q4": "多办线下活动 🎉"}}]
        },
    )

    answers: dict[QuestionId, AnswerValue | None] = Field(max_length=MAX_QUESTIONS)


class ResponsePublic(BaseModel):
    """A member's own response; in an anonymous survey only that they answered (the answers
    are stored with no member id, so no one can hand them back to the member)."""

    survey_id: str
    anonymous: bool
    answers: dict[str, Any] | None
    submitted_at: datetime | None


class NetPromoterPublic(BaseModel):
    promoters: int
    passives: int
    detractors: int
    score: float | None


class QuestionResult(BaseModel):
    id: str
    kind: QuestionKind
    text: str
    answered: int
    # Per option label (choices) or scale point; empty for a text question (see …/texts).
    counts: dict[str, int]
    mean: float | None = None
    nps: NetPromoterPublic | None = None


class SurveyResults(BaseModel):
    survey_id: str
    status: SurveyStatus
    anonymous: bool
    responses: int
    questions: list[QuestionResult]


class TextAnswerPublic(BaseModel):
    id: str
    text: str


class SurveySettingsUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"post_event_template_id": None, "monthly_nps": True}]},
    )

    post_event_template_id: (
        Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
        | None
    ) = None
    post_event_days: int = Field(default=7, ge=1, le=30)
    monthly_nps: bool = False


class SurveySettingsPublic(BaseModel):
    community_id: str
    post_event_template_id: str | None
    post_event_days: int
    monthly_nps: bool
    updated_at: datetime | None


class NpsMonth(BaseModel):
    month: str  # YYYY-MM in the community's timezone
    survey_id: str
    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None


class NpsSeries(BaseModel):
    community_id: str
    items: list[NpsMonth]
