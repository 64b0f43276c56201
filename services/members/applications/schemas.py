"""Request and response shapes of application questions and answers."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.fields import ResourceId, Utf8Text
from services.members.applications.rules import (
    MAX_ANSWER_LENGTH,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    QuestionKind,
)

Prompt = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), Utf8Text
]
Option = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Utf8Text
]
AnswerText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_ANSWER_LENGTH), Utf8Text
]


class QuestionInput(BaseModel):
    """One question; `id` keeps an existing question's id (answers refer to it), without one
    the question is new."""

    model_config = ConfigDict(extra="forbid")

    id: ResourceId | None = None
    prompt: Prompt
    kind: QuestionKind
    options: Annotated[list[Option], Field(max_length=MAX_OPTIONS)] = []
    required: bool = False


class ApplicationFormUpdate(BaseModel):
    """The questions, replaced whole (an empty list asks nothing)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "questions": [
                        {"prompt": "你为什么想加入读书会?", "kind": "text", "required": True},
                        {
                            "prompt": "你每月能读几本书?",
                            "kind": "choice",
                            "options": ["1 本", "2-3 本", "更多"],
                            "required": False,
                        },
                    ]
                }
            ]
        },
    )

    questions: Annotated[list[QuestionInput], Field(max_length=MAX_QUESTIONS)]


class QuestionPublic(BaseModel):
    id: str
    prompt: str
    kind: QuestionKind
    options: list[str]
    required: bool


class ApplicationFormPublic(BaseModel):
    community_id: str
    # Answers are required of joins that wait for approval (join_policy `approval`, a
    # lockdown holding joins, or a removed member asking back).
    join_policy: str
    questions: list[QuestionPublic]
    updated_at: datetime | None


class AnswerInput(BaseModel):
    """An answer in a join request: the question's id and the text, or for a choice the
    option chosen, exactly as listed."""

    model_config = ConfigDict(extra="forbid")

    question_id: ResourceId
    answer: AnswerText


class AnswerPublic(BaseModel):
    question_id: str
    prompt: str
    kind: QuestionKind
    answer: str


class ApplicationPublic(BaseModel):
    """A member's application: who, where their request stands, and what they answered."""

    member_id: str
    community_id: str
    display_name: str
    status: str
    tier_id: str | None
    applied_at: datetime
    answers: list[AnswerPublic]
