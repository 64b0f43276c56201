"""The content items' domain errors, each with its status and problem type."""

from collections.abc import Iterable

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound


class ContentNotFound(NotFound):
    slug = "content-not-found"

    def __init__(self, content_id: str) -> None:
        super().__init__(f"No content item {content_id!r}.", content_id=content_id)


class IllegalTransition(Conflict):
    slug = "illegal-transition"

    def __init__(self, *, action: str, current: str, allowed_from: Iterable[str]) -> None:
        allowed = sorted(allowed_from)
        super().__init__(
            f"Cannot {action} an item that is {current}; {action} applies to: "
            f"{', '.join(allowed) or 'nothing'}.",
            action=action,
            current_status=current,
            allowed_from=allowed,
        )


class NotEditable(Conflict):
    slug = "not-editable"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"An item that is {current} cannot be edited; only draft and rejected ones can.",
            current_status=current,
        )


class NotYourContent(Forbidden):
    slug = "not-your-content"

    def __init__(self, editor_roles: Iterable[str]) -> None:
        super().__init__(
            "Only its author or an owner, admin, assistant or recorder may do this.",
            roles=sorted(editor_roles),
        )


class UnknownAuthor(InvalidInput):
    status, slug = 422, "unknown-author"

    def __init__(self, member_id: str) -> None:
        super().__init__(f"The community has no member {member_id!r}.", field="author_member_id")


class NotDeletable(Conflict):
    slug = "not-deletable"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"An item that is {current} cannot be deleted; only draft and rejected ones can "
            "(archive a published one).",
            current_status=current,
        )
