"""Win-back nudges' rules: the template's placeholders, the holdout draw, the frequency cap and
the report's comparison. Pure functions and constants; no SQL, no FastAPI.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.common import templates

PLACEHOLDERS = ("name", "community", "days_inactive")

DEFAULT_HOLDOUT_PERCENT = 10
DEFAULT_FREQUENCY_CAP_DAYS = 7
# "Active again": an activity within this long after the nudge (or, for the holdout, after the
# moment they would have been nudged).
WINDOW_DAYS = 7
# Below this many members in either arm a difference in shares says little (the normal
# approximation behind the p-value wants about this many): the report says so.
MIN_ARM_MEMBERS = 30


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RAN = "ran"
    CANCELLED = "cancelled"


RUNNABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.SCHEDULED})


class Arm(StrEnum):
    NUDGED = "nudged"
    HOLDOUT = "holdout"
    CAPPED = "capped"


def check_template(template: str) -> None:
    """UnknownPlaceholder naming every placeholder the API does not fill."""
    templates.check_template(template, PLACEHOLDERS)


render = templates.render


def days_inactive(last_active_at: datetime | None, joined_at: datetime, now: datetime) -> int:
    """Whole days since the member's last activity (since joining, if never active)."""
    since = last_active_at or joined_at
    return max(0, math.floor((now - since).total_seconds() / 86_400))


def holdout_draw(campaign_id: str, member_id: str) -> float:
    """A number in [0, 1) fixed by the campaign and the member: the same member is in the
    same arm however often the split is computed, and anyone can recompute it."""
    digest = hashlib.sha256(f"{campaign_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_holdout(campaign_id: str, member_id: str, holdout_percent: int) -> bool:
    return holdout_draw(campaign_id, member_id) < holdout_percent / 100


def capped(last_nudged_at: datetime | None, now: datetime, cap_days: int) -> bool:
    """A member nudged (by any campaign of the community) less than `cap_days` ago gets no
    other nudge now; 0 days: no cap."""
    return (
        cap_days > 0 and last_nudged_at is not None and now - last_nudged_at < timedelta(cap_days)
    )


def assign(
    *,
    campaign_id: str,
    member_id: str,
    holdout_percent: int,
    last_nudged_at: datetime | None,
    now: datetime,
    cap_days: int,
) -> Arm:
    """Which arm a targeted member falls in. The cap comes first, for both arms alike: were
    capped members left in the holdout only, the holdout would hold the recently nudged ones
    the nudged arm lacks, and the comparison would be skewed."""
    if capped(last_nudged_at, now, cap_days):
        return Arm.CAPPED
    return Arm.HOLDOUT if in_holdout(campaign_id, member_id, holdout_percent) else Arm.NUDGED


@dataclass(frozen=True)
class ArmResult:
    members: int
    active_again: int

    @property
    def share(self) -> float | None:
        return round(self.active_again / self.members, 4) if self.members else None


@dataclass(frozen=True)
class Comparison:
    nudged: ArmResult
    holdout: ArmResult
    uplift: float | None
    p_value: float | None
    meaningful: bool
    note: str | None


def two_proportion_p_value(a: ArmResult, b: ArmResult) -> float | None:
    """Two-sided p-value of the difference in shares (pooled two-proportion z-test)."""
    if not a.members or not b.members:
        return None
    pooled = (a.active_again + b.active_again) / (a.members + b.members)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a.members + 1 / b.members))
    if spread == 0:
        return 1.0
    z = (a.active_again / a.members - b.active_again / b.members) / spread
    return round(math.erfc(abs(z) / math.sqrt(2)), 4)


def compare(
    nudged: ArmResult,
    holdout: ArmResult,
    *,
    window_complete: bool,
    min_arm_members: int = MIN_ARM_MEMBERS,
) -> Comparison:
    """The shares active again, nudged against holdout, and whether the comparison means
    anything yet."""
    uplift = None
    if nudged.share is not None and holdout.share is not None:
        uplift = round(nudged.share - holdout.share, 4)
    notes = []
    small = min(nudged.members, holdout.members) < min_arm_members
    if small:
        notes.append(
            f"too few members to compare: each arm needs at least {min_arm_members} "
            f"(nudged {nudged.members}, holdout {holdout.members})"
        )
    if not window_complete:
        notes.append(f"the {WINDOW_DAYS}-day window has not ended yet: shares can still grow")
    return Comparison(
        nudged=nudged,
        holdout=holdout,
        uplift=uplift,
        p_value=two_proportion_p_value(nudged, holdout),
        meaningful=not small and window_complete,
        note="; ".join(notes) or None,
    )
