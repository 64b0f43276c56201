"""Why feedback is refused."""

from services.common.errors import Conflict, Forbidden


class AttendeesOnly(Forbidden):
    slug = "attendees-only"

    def __init__(self) -> None:
        super().__init__("Only members who checked in to the event may give feedback.")


class FeedbackExists(Conflict):
    slug = "feedback-exists"

    def __init__(self) -> None:
        super().__init__("The member gave feedback on this event already.")
