"""What the suggestion box answers to what it refuses."""

from services.common.errors import Conflict, Forbidden, NotFound


class SuggestionNotFound(NotFound):
    slug = "suggestion-not-found"

    def __init__(self, suggestion_id: str) -> None:
        super().__init__(
            f"No suggestion {suggestion_id!r} in this community.", suggestion_id=suggestion_id
        )


class SuggestionMembersOnly(Forbidden):
    """A partner key or a platform admin belongs to no community: a suggestion is a member's."""

    slug = "suggestion-members-only"

    def __init__(self) -> None:
        super().__init__("Suggestions are posted and +1'd by members of the community.")


class NotYourSuggestion(Forbidden):
    slug = "not-your-suggestion"

    def __init__(self, suggestion_id: str) -> None:
        super().__init__(
            f"Only its author edits or withdraws suggestion {suggestion_id!r}.",
            suggestion_id=suggestion_id,
        )


class SuggestionNotEditable(Conflict):
    slug = "suggestion-not-editable"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"A suggestion is edited or withdrawn while new; this one is {current}.",
            current_status=current,
            field="status",
        )


class OwnSuggestionVote(Forbidden):
    slug = "own-suggestion-vote"

    def __init__(self) -> None:
        super().__init__("Authors cannot +1 their own suggestion.", field="member_id")


class SuggestionClosed(Conflict):
    slug = "suggestion-closed"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"+1s are taken while a suggestion is new, under review or planned; this one is "
            f"{current}.",
            current_status=current,
            field="status",
        )
