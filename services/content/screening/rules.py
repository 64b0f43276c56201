"""Automated screening: banned words (ads, abuse, rumours, and a community's own) and links
outside a community's allow-list.

Words are matched by one Aho-Corasick automaton over every word, in one pass over the text,
after both text and words are normalised alike: NFKC (full-width letters and digits become
ASCII, compatibility forms fold), case folded, and everything that is neither a letter nor a
digit removed. So `加 微 信`, `加.微.信`, `Buy-Now` and full-width `BUY NOW` all match their
entry. The price of removing separators is that a word may match across a word boundary: entries are
phrases or words specific enough for that, and a community that flags instead of rejecting
leaves the last word to a person.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from urllib.parse import urlsplit

import ahocorasick  # type: ignore[import-not-found]

from services.common.events.catalogue import ScreeningHit
from services.content.screening.words import DEFAULT_WORDS


# What a hit does: reject the item, or flag it for a person. (A comment, not a docstring: the
# docstring would become the enum's description in the API schema.)
class ScreeningAction(StrEnum):
    REJECT = "reject"
    FLAG = "flag"


LINK_RULE = "link"
CUSTOM_RULE = "custom"
WORD_RULES = (*DEFAULT_WORDS, CUSTOM_RULE)

# A link is what a reader could follow: with a scheme, or starting www. (after width folding,
# so a full-width scheme and slashes count too).
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
# Hits reported per item: a spam body could otherwise make the answer as large as itself.
MAX_HITS = 50
# Characters whose folding is remembered; past this, a hostile text of rare characters is
# folded without filling memory.
_FOLD_CACHE_LIMIT = 50_000


class _Folding(dict[int, str | None]):
    """The per-character folding `str.translate` applies: NFKC, case folded, and nothing of
    what is not a letter or a digit. Computed for a character the first time it is seen, then
    a plain dict lookup: one C-level pass over the text instead of three (NFKC, casefold and a
    regular expression each cost more than the whole automaton pass)."""

    def __missing__(self, codepoint: int) -> str | None:
        folded = unicodedata.normalize("NFKC", chr(codepoint)).casefold()
        kept = "".join(char for char in folded if char.isalnum()) or None
        if len(self) < _FOLD_CACHE_LIMIT:
            self[codepoint] = kept
        return kept


_FOLDING = _Folding()
# What every link has (a scheme's "://" or "www."), full-width forms included: text without
# it has no link, and skips the width folding.
_LINK_HINT = re.compile(r"[:\uff1a][/\uff0f]|[wW\uff57\uff37]{3}[.\uff0e]")
# Full-width ASCII forms and the ideographic space, for finding links.
_WIDTH = {codepoint: codepoint - 0xFEE0 for codepoint in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalise(text: str) -> str:
    """The form words are matched in: per character NFKC, case folded, separators removed.
    (Per character, so a combining accent is dropped rather than composed: text and listed
    words go through the same function, so they still meet.)"""
    return text.translate(_FOLDING)


def normalise_domain(domain: str) -> str:
    return unicodedata.normalize("NFKC", domain).strip().casefold().rstrip(".")


@dataclass(frozen=True)
class Screener:
    automaton: ahocorasick.Automaton
    allowed_domains: frozenset[str]

    def screen(self, texts: Iterable[str]) -> list[ScreeningHit]:
        """What screening finds in these texts, each reason once, in order of appearance."""
        hits: dict[tuple[str, str], ScreeningHit] = {}
        for text in texts:
            if self.automaton.kind == ahocorasick.AHOCORASICK:
                for _end, (rule, word) in self.automaton.iter(normalise(text)):
                    hits.setdefault((rule, word), ScreeningHit(rule=rule, match=word))
            for host in self._foreign_links(text):
                hits.setdefault((LINK_RULE, host), ScreeningHit(rule=LINK_RULE, match=host))
            if len(hits) >= MAX_HITS:
                break
        return list(hits.values())[:MAX_HITS]

    def _foreign_links(self, text: str) -> Iterable[str]:
        if _LINK_HINT.search(text) is None:
            return
        for link in _LINK.findall(text.translate(_WIDTH)):
            host = _host(link)
            if not self._allowed(host):
                yield host

    def _allowed(self, host: str) -> bool:
        return any(host == domain or host.endswith("." + domain) for domain in self.allowed_domains)


def _host(link: str) -> str:
    with_scheme = link if "://" in link else f"http://{link}"
    try:
        host = urlsplit(with_scheme).hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        host = None
    return normalise_domain(host) if host else link[:100]


def build_screener(words: Mapping[str, Sequence[str]], allowed_domains: Iterable[str]) -> Screener:
    """One automaton over the default lists and `words` (rule → words), and the allow-list."""
    automaton = ahocorasick.Automaton()
    for rule, listed in (*DEFAULT_WORDS.items(), *words.items()):
        for word in listed:
            key = normalise(word)
            if key and key not in automaton:
                automaton.add_word(key, (rule, word))
    if len(automaton):
        automaton.make_automaton()
    return Screener(
        automaton=automaton,
        allowed_domains=frozenset(normalise_domain(domain) for domain in allowed_domains),
    )


@lru_cache(maxsize=256)
def cached_screener(
    words: tuple[tuple[str, tuple[str, ...]], ...], allowed_domains: tuple[str, ...]
) -> Screener:
    """A community's screener, built once per process and per version of its lists."""
    return build_screener(dict(words), allowed_domains)


def screener_for(words: Mapping[str, Sequence[str]], allowed_domains: Sequence[str]) -> Screener:
    key = tuple(sorted((rule, tuple(listed)) for rule, listed in words.items()))
    return cached_screener(key, tuple(sorted(allowed_domains)))


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
