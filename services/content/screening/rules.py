"""What a screening hit does to a content item. The matching itself is the shared engine
(`services/common/screening/rules.py`), which chat moderation uses too."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.common.events.catalogue import ScreeningHit
from services.common.screening.rules import LINK_RULE


# What a hit does: reject the item, or flag it for a person. (A comment, not a docstring: the
# docstring would become the enum's description in the API schema.)
class ScreeningAction(StrEnum):
    REJECT = "reject"
    FLAG = "flag"


@dataclass(frozen=True)
class SourcePolicy:
    """How items of one source are screened: what a hit does, and whether any link may stand
    (else only links to the allow-listed domains)."""

    action: ScreeningAction
    any_link: bool


# Editors write official content (早报 with an article link): a hit is flagged for a person,
# never rejected, and links are theirs to choose. Members' UGC and partners' items: strict.
OFFICIAL_DEFAULT = SourcePolicy(action=ScreeningAction.FLAG, any_link=True)
STRICT_DEFAULT = SourcePolicy(action=ScreeningAction.REJECT, any_link=False)


def policy_for(
    source: str, *, action: str | None, official: Mapping[str, object] | None
) -> SourcePolicy:
    """The policy for an item of `source` under a community's settings (None: the defaults).
    `action` is the community's action for member and partner items."""
    if source == "official":
        if official is None:
            return OFFICIAL_DEFAULT
        return SourcePolicy(
            action=ScreeningAction(str(official["action"])), any_link=bool(official["any_link"])
        )
    return SourcePolicy(
        action=ScreeningAction(action) if action else STRICT_DEFAULT.action, any_link=False
    )


def applying(hits: Sequence[ScreeningHit], policy: SourcePolicy) -> list[ScreeningHit]:
    """The hits that count under the policy (links drop out where any link may stand)."""
    return [hit for hit in hits if not (policy.any_link and hit.rule == LINK_RULE)]
