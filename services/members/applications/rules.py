"""The rules of application questions and answers, pure: what a form may hold, and which
answers a join request may carry. Problems are (loc, message) pairs, `loc` as a validation
error's: the caller learns every field at fault at once."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_QUESTIONS = 10
MAX_OPTIONS = 20
MIN_OPTIONS = 2
MAX_ANSWER_LENGTH = 1000

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


class QuestionKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    kind: QuestionKind
    options: tuple[str, ...]
    required: bool

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> "Question":
        return cls(
            id=str(stored["id"]),
            prompt=str(stored["prompt"]),
            kind=QuestionKind(stored["kind"]),
            options=tuple(stored.get("options") or ()),
            required=bool(stored.get("required")),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": self.prompt,
            "kind": self.kind.value,
            "options": list(self.options),
            "required": self.required,
        }


@dataclass(frozen=True)
class Answer:
    question_id: str
    answer: str


def form_problems(
    questions: Sequence[Question], *, given_ids: Sequence[str | None], existing: set[str]
) -> list[Problem]:
    """What is wrong with a form: a choice needs 2..20 distinct options, a text question none;
    a question keeps its id only if the form had it (answers refer to it); ids are unique."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, (question, given) in enumerate(zip(questions, given_ids, strict=True)):
        at: Loc = ("body", "questions", index)
        if given is not None and given not in existing:
            problems.append(((*at, "id"), "is not a question of this form; leave it out"))
        if question.id in seen:
            problems.append(((*at, "id"), "is given twice"))
        seen.add(question.id)
        if question.kind == QuestionKind.CHOICE:
            if len(question.options) < MIN_OPTIONS:
                problems.append(((*at, "options"), f"a choice needs at least {MIN_OPTIONS}"))
            if len(set(question.options)) != len(question.options):
                problems.append(((*at, "options"), "an option is given twice"))
        elif question.options:
            problems.append(((*at, "options"), "a text question has no options"))
    return problems


def answer_problems(
    questions: Sequence[Question], answers: Sequence[Answer], *, required_enforced: bool
) -> list[Problem]:
    """What is wrong with a join request's answers: an unknown question, a question answered
    twice, a choice that is not an option; and, where the join waits for approval
    (`required_enforced`), a required question left out or blank."""
    by_id = {question.id: question for question in questions}
    problems: list[Problem] = []
    answered: set[str] = set()
    for index, answer in enumerate(answers):
        at: Loc = ("body", "answers", index)
        question = by_id.get(answer.question_id)
        if question is None:
            problems.append(((*at, "question_id"), "is not a question of this community"))
            continue
        if answer.question_id in answered:
            problems.append(((*at, "question_id"), "is answered twice"))
            continue
        if question.kind == QuestionKind.CHOICE and answer.answer not in question.options:
            problems.append(((*at, "answer"), "is not one of the question's options"))
        if answer.answer.strip():
            answered.add(answer.question_id)
    if required_enforced:
        for question in questions:
            if question.required and question.id not in answered:
                problems.append(
                    (("body", "answers"), f"question {question.id!r} is required: answer it")
                )
    return problems


def answers_kept(questions: Sequence[Question], answers: Sequence[Answer]) -> list[dict[str, Any]]:
    """The answers as kept, in the form's order, each with its question as asked (the form may
    change later); blank answers are not kept."""
    given = {answer.question_id: answer.answer for answer in answers if answer.answer.strip()}
    return [
        {
            "question_id": question.id,
            "prompt": question.prompt,
            "kind": question.kind.value,
            "answer": given[question.id],
        }
        for question in questions
        if question.id in given
    ]
