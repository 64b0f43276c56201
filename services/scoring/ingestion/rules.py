"""What a partner may report: the ingestible activity types, and why an item is refused."""

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from services.common.events.catalogue.vocabulary import ActivityType, Role
from services.scoring.ledger.rules import DERIVED_TYPES

INGESTIBLE_TYPES = frozenset(str(t) for t in ActivityType if t not in DERIVED_TYPES)


class RejectionReason(StrEnum):
    # Also said of a community the caller is not in: strangers cannot tell the two apart.
    UNKNOWN_COMMUNITY = "unknown_community"
    # A member of the community without a role that may report activities (owner, admin).
    NOT_ALLOWED = "not_allowed"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_TARGET_MEMBER = "unknown_target_member"
    UNKNOWN_TYPE = "unknown_type"
    IN_FUTURE = "in_future"


@dataclass(frozen=True)
class Rejection:
    """An item of a batch that was not recorded, and why; the rest of the batch was."""

    index: int
    id: str
    reason: RejectionReason


# What scoring's membership projection, a moment behind the members service, may not know yet:
# such items are held (answered `pending`) until it does, or until the hold runs out.
HOLDABLE = frozenset(
    {
        RejectionReason.UNKNOWN_COMMUNITY,
        RejectionReason.UNKNOWN_MEMBER,
        RejectionReason.UNKNOWN_TARGET_MEMBER,
    }
)


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    rejected: list[Rejection] = field(default_factory=list)
    # Held: recorded once the projection knows the community and member, else refused with
    # this reason after the hold (`activity.refused`).
    pending: list[Rejection] = field(default_factory=list)


# Clocks of partners' machines drift; beyond this an occurred_at in the future is a bug.
MAX_FUTURE_SKEW = timedelta(minutes=5)


# Who may report activities for a community (partners' API keys arrive in a later slice).
ACTIVITY_WRITERS = frozenset({Role.OWNER, Role.ADMIN})
