"""Badge rules: what each kind counts and when a member meets it. Pure; no SQL."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class RuleKind(StrEnum):
    ACTIVITY_COUNT = "activity_count"  # `threshold` activities of `activity_type`
    STREAK = "streak"  # a 打卡 check-in with a streak of `threshold` days or more
    LEVEL = "level"  # level `threshold` or above
    POINTS = "points"  # `threshold` thousandths of points earned (what levels count)


class BulkPool(StrEnum):
    ATTENDEES = "attendees"
    REGISTRANTS = "registrants"


@dataclass(frozen=True)
class Rule:
    id: str
    community_id: str
    badge_id: str
    kind: str
    activity_type: str | None
    threshold: int


@dataclass
class Facts:
    """What the ledger knows of a member after a batch: counts per activity type (only the
    types the batch touched are needed: a count rule can only be met by its own type), the
    best 打卡 streak the batch carried, the level and the points earned (thousandths)."""

    counts: Mapping[str, int] = field(default_factory=dict)
    streak: int = 0
    level: int = 1
    earned_milli: int = 0


def met(rule: Rule, facts: Facts) -> bool:
    if rule.kind == RuleKind.ACTIVITY_COUNT:
        return rule.activity_type is not None and facts.counts.get(rule.activity_type, 0) >= (
            rule.threshold
        )
    if rule.kind == RuleKind.STREAK:
        return facts.streak >= rule.threshold
    if rule.kind == RuleKind.LEVEL:
        return facts.level >= rule.threshold
    if rule.kind == RuleKind.POINTS:
        return facts.earned_milli >= rule.threshold
    return False


def streak_of(attrs: object) -> int:
    """The streak a check-in's attrs carry (as the built-in streak_7 reads it), else 0."""
    if isinstance(attrs, Mapping):
        streak = attrs.get("streak")
        if isinstance(streak, int) and not isinstance(streak, bool):
            return streak
    return 0
