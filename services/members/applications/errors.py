"""Why a form or a join request's answers are refused, and a missing application."""

from services.common.errors import InvalidInput, NotFound
from services.members.applications.rules import Problem


class _Problems(InvalidInput):
    """422 naming each field at fault (`errors`, as a validation error lists them; `field`
    the first), so a client marks them all at once."""

    def __init__(self, what: str, problems: list[Problem]) -> None:
        errors = [{"loc": list(loc), "msg": msg} for loc, msg in problems]
        fields = ", ".join(".".join(str(part) for part in loc[1:]) for loc, _ in problems[:10])
        super().__init__(
            f"{what}: {fields}. Nothing was stored.",
            field=".".join(str(part) for part in problems[0][0][1:]),
            errors=errors,
        )


class InvalidQuestions(_Problems):
    slug = "invalid-questions"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("The questions cannot be used as they are", problems)


class InvalidAnswers(_Problems):
    slug = "invalid-answers"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("The answers to the application questions are refused", problems)


class ApplicationNotFound(NotFound):
    slug = "application-not-found"

    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"Member {member_id!r} answered no application questions.", member_id=member_id
        )
