"""The welcome template language, pure: `{name}`, `{community}`, `{tier}` and `{rules}` stand
for the newcomer's display name, the community's name, their tier's name and the community's
rules text, in the template language of `services/common/templates.py`."""

from collections.abc import Mapping, Sequence
from enum import StrEnum

from services.common import templates


class Placeholder(StrEnum):
    NAME = "name"
    COMMUNITY = "community"
    TIER = "tier"
    RULES = "rules"


KNOWN = tuple(placeholder.value for placeholder in Placeholder)
# How the community's rules list reads when no summary is set: one rule a line.
RULES_SEPARATOR = "\n"


def unknown_placeholders(template: str) -> list[str]:
    """The placeholders of `template` that are not ours, each once, in order of appearance."""
    return templates.unknown_placeholders(template, KNOWN)


def render(template: str, values: Mapping[Placeholder, str]) -> str:
    """The template with each placeholder replaced, in one pass; a value not given renders
    empty (a member without a tier)."""
    return templates.render(
        template, {placeholder.value: values.get(placeholder, "") for placeholder in Placeholder}
    )


def rules_text(summary: str | None, rules: Sequence[str]) -> str:
    """What `{rules}` stands for: the community's own summary (a link, a short text) when set,
    else its rules list one a line, else nothing."""
    if summary:
        return summary
    return RULES_SEPARATOR.join(rule for rule in rules if rule)


def chosen_template(
    *, community_template: str | None, tier_template: str | None
) -> tuple[str, str] | None:
    """The template a newcomer gets and where it came from (`tier` or `community`): their
    tier's overrides the community's; None when neither is set (no welcome is due)."""
    if tier_template:
        return tier_template, "tier"
    if community_template:
        return community_template, "community"
    return None
