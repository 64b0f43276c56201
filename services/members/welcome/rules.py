"""The welcome template language, pure: `{name}`, `{community}`, `{tier}` and `{rules}` stand
for the newcomer's display name, the community's name, their tier's name and the community's
rules text. Any other `{word}` is refused when the template is saved, so a typo (`{nmae}`,
`{名字}`) never reaches a newcomer; braces around anything that is not a word (`{ }`, `:-}`)
are plain text."""

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum


class Placeholder(StrEnum):
    NAME = "name"
    COMMUNITY = "community"
    TIER = "tier"
    RULES = "rules"


# A placeholder is a word in braces; `\w` is Unicode-aware, so `{名字}` is caught as unknown.
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# How the community's rules list reads when no summary is set: one rule a line.
RULES_SEPARATOR = "\n"


def unknown_placeholders(template: str) -> list[str]:
    """The placeholders of `template` that are not ours, each once, in order of appearance."""
    known = {placeholder.value for placeholder in Placeholder}
    found: list[str] = []
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in known and name not in found:
            found.append(name)
    return found


def render(template: str, values: Mapping[Placeholder, str]) -> str:
    """The template with each placeholder replaced, in one pass: a value that itself looks
    like a placeholder (a display name "{rules}") stays as it is."""

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        try:
            return values.get(Placeholder(name), "")
        except ValueError:
            # Saved templates hold none (refused on save); kept verbatim if one ever did.
            return match.group(0)

    return _PLACEHOLDER.sub(value_of, template)


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
