"""The template language of every message an operator writes for the bot (welcome texts,
win-back nudges): `{word}` stands for a value the API fills in. Anything between braces is a
placeholder, so a typo (`{nmae}`, `{ name }`, `{名字}`) is refused when the template is saved
instead of reaching members verbatim; a lone brace (`:-}`, `{ hi`) is plain text. Rendering is
one pass: a value that itself looks like a placeholder (a display name "{rules}") stays as it
is."""

import re
from collections.abc import Collection, Mapping

from services.common.errors import InvalidInput

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAMED_AT_MOST = 10  # unknown placeholders named in a refusal


class UnknownPlaceholder(InvalidInput):
    slug = "unknown-placeholder"

    def __init__(self, unknown: list[str], known: Collection[str]) -> None:
        named = ", ".join("{" + name + "}" for name in unknown[:_NAMED_AT_MOST])
        super().__init__(
            f"The template uses placeholders this API does not fill: {named}; the placeholders "
            f"are {', '.join('{' + name + '}' for name in known)}.",
            field="template",
            placeholders=unknown[:_NAMED_AT_MOST],
            known=list(known),
        )


def unknown_placeholders(template: str, known: Collection[str]) -> list[str]:
    """The placeholders of `template` not among `known`, each once, in order of appearance."""
    found: list[str] = []
    for name in _PLACEHOLDER.findall(template):
        if name not in known and name not in found:
            found.append(name)
    return found


def check_template(template: str, known: Collection[str]) -> None:
    """UnknownPlaceholder (422 naming `template`) for a placeholder not among `known`."""
    if unknown := unknown_placeholders(template, known):
        raise UnknownPlaceholder(unknown, known)


def render(template: str, values: Mapping[str, str]) -> str:
    """The template with each placeholder replaced by its value, in one pass; a placeholder
    without a value stays verbatim (a checked template has none)."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)
