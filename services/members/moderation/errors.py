"""Chat moderation's errors: a pattern RE2 refuses, a message from nobody in the community."""

from collections.abc import Sequence

from services.common.errors import DomainError


class InvalidPattern(DomainError):
    status, slug, title = 422, "invalid-pattern", "Invalid pattern"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(
            f"Pattern {name!r} cannot be used: {reason}. Patterns are RE2 syntax (no "
            "back-references or look-around), at most 300 characters each.",
            pattern=name,
        )


class UnknownSenders(DomainError):
    status, slug, title = 422, "unknown-members", "Unknown members"

    def __init__(self, member_ids: Sequence[str]) -> None:
        listed = sorted(member_ids)[:20]
        super().__init__(
            f"No member {', '.join(map(repr, listed))} in this community: nothing was checked.",
            member_ids=listed,
        )
