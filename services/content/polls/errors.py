"""The polls' domain errors."""

from services.common.errors import Conflict, Forbidden, InvalidInput


class InvalidPoll(InvalidInput):
    status, slug = 422, "invalid-poll"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="poll_options")


class NotYourVote(Forbidden):
    slug = "not-your-vote"

    def __init__(self) -> None:
        super().__init__("Members vote for themselves: member_id must be your own member id.")


class AlreadyVoted(Conflict):
    slug = "already-voted"

    def __init__(self, member_id: str) -> None:
        super().__init__(f"Member {member_id!r} has voted in this poll.", member_id=member_id)


class NotAPoll(Conflict):
    slug = "not-a-poll"

    def __init__(self, content_id: str) -> None:
        super().__init__(f"Content item {content_id!r} is not a poll.", content_id=content_id)


class PollNotOpen(Conflict):
    slug = "poll-not-open"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"Votes are taken while a poll is published; this one is {current}.",
            current_status=current,
        )


class UnknownOption(InvalidInput):
    status, slug = 422, "unknown-option"

    def __init__(self, option: str, options: list[str]) -> None:
        super().__init__(
            f"{option!r} is not one of this poll's options.", field="option", options=options
        )
