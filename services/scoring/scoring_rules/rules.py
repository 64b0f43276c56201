"""A community's scoring rules: what an activity is worth, cooldowns, daily caps, half-life.

Pure functions and constants; no SQL, no FastAPI. The default weights are the shared
vocabulary's (services.common.events.catalogue.vocabulary); docs/scoring.md documents every number.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.common.events.catalogue.vocabulary import DEFAULT_WEIGHTS, ActivityType, Role
from services.scoring.points.rules import MILLI

# A message earns at most once a minute per member: flooding a group is not engagement.
DEFAULT_COOLDOWN_SECONDS: Mapping[str, int] = {ActivityType.MESSAGE: 60}


# Credited activities of a type per member per day (in the community's timezone).
DEFAULT_DAILY_CAP: Mapping[str, int] = {
    ActivityType.REACTION: 50,
    ActivityType.CONTENT_VIEW: 100,
}


DEFAULT_HALF_LIFE_DAYS = 14.0


@dataclass(frozen=True)
class Rules:
    """A community's rules as they stand: types left out of the maps take the defaults."""

    weights: Mapping[str, float] = field(default_factory=dict)
    cooldown_seconds: Mapping[str, int] = field(default_factory=dict)
    daily_cap: Mapping[str, int] = field(default_factory=dict)
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS

    def weight_milli(self, activity_type: str) -> int:
        """The activity's worth in thousandths of a point.

        A type without a weight is worth nothing rather than refused: an event of a type newer
        than these rules must still reach the ledger instead of the dead-letter topic.
        """
        weight = self.weights.get(activity_type, DEFAULT_WEIGHTS.get(activity_type, 0.0))
        return round(weight * MILLI)

    def cooldown(self, activity_type: str) -> int:
        return self.cooldown_seconds.get(
            activity_type, DEFAULT_COOLDOWN_SECONDS.get(activity_type, 0)
        )

    def cap(self, activity_type: str) -> int | None:
        return self.daily_cap.get(activity_type, DEFAULT_DAILY_CAP.get(activity_type))

    def effective(self) -> "Rules":
        """These rules with every default spelled out, as the API shows them."""
        types = [str(t) for t in ActivityType]
        return Rules(
            weights={t: self.weight_milli(t) / MILLI for t in types},
            cooldown_seconds={t: self.cooldown(t) for t in types if self.cooldown(t)},
            daily_cap={t: cap for t in types if (cap := self.cap(t)) is not None},
            half_life_days=self.half_life_days,
        )


DEFAULT_RULES = Rules()


# Who may change a community's rules and award or redeem points.
OPERATORS = frozenset({Role.OWNER, Role.ADMIN})
# Who reads the community's participation (metrics, health and its alerts): the operators, and
# the enforcer (群执行官), whose brief includes members' participation (群员参与互动情况).
PARTICIPATION_READERS = OPERATORS | {Role.ENFORCER}
