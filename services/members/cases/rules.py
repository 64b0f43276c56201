"""The vocabulary of reports and cases, and the reporter's rate limit."""

from datetime import timedelta
from enum import StrEnum


class TargetType(StrEnum):
    MESSAGE = "message"
    MEMBER = "member"
    CONTENT = "content"


class ReportKind(StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    RUMOUR = "rumour"
    COMPLAINT = "complaint"
    DISPUTE = "dispute"
    OTHER = "other"


class CaseStatus(StrEnum):
    OPEN = "open"  # reported, nobody has answered yet
    IN_PROGRESS = "in_progress"  # assigned or commented on
    RESOLVED = "resolved"


class Resolution(StrEnum):
    DISMISS = "dismiss"
    WARN = "warn"
    MUTE = "mute"
    REMOVE = "remove"
    ARCHIVE_CONTENT = "archive_content"


class NoteKind(StrEnum):
    ASSIGN = "assign"
    COMMENT = "comment"
    RESOLVE = "resolve"
    # What a resolution did elsewhere, as the service that did it announced (content archived).
    EFFECT = "effect"


# A reporter files at most this many reports in the window: enough for a member who sees a
# raid, not enough to bury the queue.
REPORTS_PER_WINDOW = 10
REPORT_WINDOW = timedelta(hours=1)
