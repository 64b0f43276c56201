"""Why a survey or a response is refused."""

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound


class SurveyNotFound(NotFound):
    slug = "survey-not-found"

    def __init__(self, survey_id: str) -> None:
        super().__init__(f"This community has no survey {survey_id!r}.", survey_id=survey_id)


class InvalidSurvey(InvalidInput):
    slug = "invalid-survey"

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail, field=field)


class InvalidAnswer(InvalidInput):
    slug = "invalid-answer"

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail, field=field)


class SurveyNotOpen(Conflict):
    slug = "survey-not-open"

    def __init__(self, survey_status: str) -> None:
        super().__init__(
            f"Answers are taken while a survey is open; this one is {survey_status}.",
            survey_status=survey_status,
        )


class AlreadyResponded(Conflict):
    slug = "already-responded"

    def __init__(self) -> None:
        super().__init__("You have answered this survey; one response per member.")


class NotInAudience(Forbidden):
    slug = "not-in-audience"

    def __init__(self) -> None:
        super().__init__("This survey does not ask you: you are outside its audience.")


class NotResponded(NotFound):
    slug = "no-response"

    def __init__(self) -> None:
        super().__init__("You have not answered this survey.")


class NoQuestion(NotFound):
    slug = "no-such-question"

    def __init__(self, question_id: str) -> None:
        super().__init__(
            f"This survey has no free-text question {question_id!r}.", question_id=question_id
        )
