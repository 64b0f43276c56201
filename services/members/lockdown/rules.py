"""What a lockdown does to a join, pure."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.members.memberships.rules import MemberStatus


class LockdownJoins(StrEnum):
    APPROVAL_ONLY = "approval_only"
    CLOSED = "closed"


@dataclass(frozen=True)
class Entry:
    """How a join enters while a lockdown holds: refused, or with this status (and mute)."""

    refused: bool
    status: MemberStatus
    muted_until: datetime | None = None


def entry(
    *,
    joins: LockdownJoins,
    mute_new_members: bool,
    until: datetime,
    status: MemberStatus,
    by_steward: bool,
) -> Entry:
    """A self-join is refused under `closed` and waits for approval under `approval_only`; a
    member the owner adds still comes in. One who comes in active is muted until the lockdown
    ends if it mutes new members."""
    if not by_steward and joins == LockdownJoins.CLOSED:
        return Entry(refused=True, status=status)
    if not by_steward and joins == LockdownJoins.APPROVAL_ONLY:
        status = MemberStatus.PENDING
    if mute_new_members and status == MemberStatus.ACTIVE:
        return Entry(refused=False, status=MemberStatus.MUTED, muted_until=until)
    return Entry(refused=False, status=status)
