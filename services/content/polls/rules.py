"""What makes a poll: its options, checked when an item is created or edited."""

from collections.abc import Sequence

from services.content.items.rules import ContentKind
from services.content.polls.errors import InvalidPoll

POLL_MIN_OPTIONS = 2


def check_poll_options(kind: str, options: Sequence[str]) -> None:
    """InvalidPoll unless a poll has at least two options and anything else has none."""
    if kind == ContentKind.POLL and len(options) < POLL_MIN_OPTIONS:
        raise InvalidPoll("A poll needs poll_options: 2 to 10 distinct choices.")
    if kind != ContentKind.POLL and options:
        raise InvalidPoll("Only a poll has poll_options.")
