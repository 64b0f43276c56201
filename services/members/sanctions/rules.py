"""The kinds of sanction and the ladder that escalates warnings (default: 3 warnings → a 24 h
mute; 3 more warnings after a mute → removal)."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum


class SanctionKind(StrEnum):
    WARN = "warn"
    MUTE = "mute"
    REMOVE = "remove"


@dataclass(frozen=True)
class Ladder:
    """How warnings escalate: after `warnings_before_mute` warnings the member is muted for
    `mute_hours`; once they have been muted `mutes_before_removal` times, the next escalation
    removes them instead (0: warnings lead straight to removal)."""

    warnings_before_mute: int = 3
    mute_hours: int = 24
    mutes_before_removal: int = 1

    @classmethod
    def of(cls, sanction_ladder: Mapping[str, int] | None) -> "Ladder":
        """The ladder a community keeps as JSON (`Community.sanction_ladder`); None: the default."""
        return cls(**sanction_ladder) if sanction_ladder else cls()

    def as_json(self) -> dict[str, int]:
        return asdict(self)
