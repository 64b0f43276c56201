"""The community's own vocabulary: how people may join it."""

from enum import StrEnum


class JoinPolicy(StrEnum):
    OPEN = "open"
    APPROVAL = "approval"
    INVITE_ONLY = "invite_only"
