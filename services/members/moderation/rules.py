"""Chat moderation's rules, pure: what a community's rules are (and their playbook defaults),
compiled once per version, and the verdict on one message.

Words and links go through the shared screening engine (NFKC, case, inserted separators; one
Aho-Corasick pass); a community's regular expressions run in RE2, which matches in linear time
and refuses what would need backtracking (back-references, look-around), so no pattern a steward
writes can stall a check. Every rule that hits is reported; the most severe action decides.
"""

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import re2  # type: ignore[import-untyped]

from services.common.events.catalogue import ScreeningHit
from services.common.events.catalogue.vocabulary import Role
from services.common.screening.rules import (
    LINK_RULE,
    MAX_HITS,
    Screener,
    link_hosts,
    screener_for,
)

# RE2's memory for one compiled set of a community's patterns: past it compiling fails (a 422),
# so a pattern cannot grow a program that is slow to build or to run.
PATTERN_MEMORY_BYTES = 8 << 20


class RuleName(StrEnum):
    """A moderation rule: the three playbook word lists and the community's own, its regular
    expressions, links outside the allow-list, message kinds, mention spam, flood, and the
    quiet period of new members."""

    ADS = "ads"
    ABUSE = "abuse"
    RUMOURS = "rumours"
    CUSTOM = "custom"
    PATTERN = "pattern"
    LINK = LINK_RULE
    KIND = "kind"
    MENTIONS = "mentions"
    FLOOD = "flood"
    QUIET = "quiet"


class RuleAction(StrEnum):
    """What a hit of a rule does: nothing (`off`); tell the moderators and let the message
    stand (`alert`); have the bot delete it (`block`); delete it and warn the member through
    the sanctions ladder (`warn`), mute them (`mute`) or remove them (`remove`)."""

    OFF = "off"
    ALERT = "alert"
    BLOCK = "block"
    WARN = "warn"
    MUTE = "mute"
    REMOVE = "remove"


# The verdict on a message: `allow` when nothing hit, else the most severe action of the rules
# that did.
class VerdictAction(StrEnum):
    ALLOW = "allow"
    ALERT = "alert"
    BLOCK = "block"
    WARN = "warn"
    MUTE = "mute"
    REMOVE = "remove"


_SEVERITY = {action: rank for rank, action in enumerate(VerdictAction)}
SANCTIONING = frozenset({VerdictAction.WARN, VerdictAction.MUTE, VerdictAction.REMOVE})


class MessageKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    QR_CODE = "qr_code"
    MINI_PROGRAM = "mini_program"
    NAME_CARD = "name_card"
    LINK = "link"
    FILE = "file"
    VOICE = "voice"
    VIDEO = "video"


# The playbook's defaults (禁止发布广告、谩骂、传播谣言): ads and abuse cost a warning (three
# mute, by the ladder), rumours are deleted, foreign links and QR codes, mini-programs and name
# cards (the WeCom anti-harassment set) are deleted, mention spam and flooding mute for an hour,
# new members' links and images are deleted during their first day.
DEFAULT_ACTIONS: Mapping[RuleName, RuleAction] = {
    RuleName.ADS: RuleAction.WARN,
    RuleName.ABUSE: RuleAction.WARN,
    RuleName.RUMOURS: RuleAction.BLOCK,
    RuleName.CUSTOM: RuleAction.BLOCK,
    RuleName.PATTERN: RuleAction.BLOCK,
    RuleName.LINK: RuleAction.BLOCK,
    RuleName.KIND: RuleAction.BLOCK,
    RuleName.MENTIONS: RuleAction.MUTE,
    RuleName.FLOOD: RuleAction.MUTE,
    RuleName.QUIET: RuleAction.BLOCK,
}
DEFAULT_MUTE_HOURS: Mapping[RuleName, int] = {RuleName.MENTIONS: 1, RuleName.FLOOD: 1}
DEFAULT_REPORTED_KINDS = (MessageKind.QR_CODE, MessageKind.MINI_PROGRAM, MessageKind.NAME_CARD)
DEFAULT_EXEMPT_ROLES = (Role.OWNER, Role.ADMIN, Role.ENFORCER)
DEFAULT_MENTION_LIMIT = 10
DEFAULT_FLOOD_MESSAGES = 8
DEFAULT_FLOOD_SECONDS = 10
DEFAULT_QUIET_HOURS = 24


class PatternRefused(ValueError):
    """A community's regular expression RE2 cannot take (syntax, back-references, look-around,
    or a program past its memory bound)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"pattern {name!r}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Step:
    """What one rule does when it hits."""

    action: RuleAction
    mute_hours: int | None = None


@dataclass(frozen=True)
class MemberFacts:
    role: str
    tier_id: str | None
    joined_at: datetime


@dataclass(frozen=True)
class Message:
    text: str
    kind: MessageKind
    mentions: int
    sent_at: datetime


@dataclass(frozen=True)
class Verdict:
    action: VerdictAction
    rule: RuleName | None
    matched: list[ScreeningHit]
    mute_hours: int | None = None


ALLOWED = Verdict(VerdictAction.ALLOW, None, [])


def _options() -> Any:
    options = re2.Options()
    options.max_mem = PATTERN_MEMORY_BYTES
    options.log_errors = False
    return options


def compile_pattern(name: str, pattern: str) -> Any:
    """The pattern as RE2 runs it (case-insensitive, like the word lists); PatternRefused if
    RE2 refuses it."""
    try:
        return re2.compile(f"(?i:{pattern})", _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a valid RE2 pattern"
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        raise PatternRefused(name, str(reason)) from exc


@dataclass(frozen=True)
class CompiledRules:
    """A community's rules, ready to check messages with."""

    screener: Screener
    patterns: tuple[tuple[str, Any], ...]
    pattern_set: Any
    steps: Mapping[RuleName, Step]
    reported_kinds: frozenset[str]
    mention_limit: int
    flood_messages: int
    flood_window: timedelta
    quiet_period: timedelta
    exempt_roles: frozenset[str]
    exempt_tiers: frozenset[str] = field(default_factory=frozenset)

    def exempt(self, member: MemberFacts) -> bool:
        return member.role in self.exempt_roles or (
            member.tier_id is not None and member.tier_id in self.exempt_tiers
        )

    def judge(self, message: Message, member: MemberFacts, *, recent: int) -> Verdict:
        """The verdict on a message by a member not exempt; `recent`: the member's messages
        in the flood window before this one and including it."""
        hits: list[ScreeningHit] = []
        text = message.text
        if text:
            hits.extend(self.screener.screen([text]))
            hits.extend(self._pattern_hits(text))
        if message.kind in self.reported_kinds:
            hits.append(ScreeningHit(rule=RuleName.KIND, match=message.kind))
        if message.mentions > self.mention_limit:
            hits.append(ScreeningHit(rule=RuleName.MENTIONS, match=str(message.mentions)))
        if recent > self.flood_messages:
            seconds = int(self.flood_window.total_seconds())
            hits.append(ScreeningHit(rule=RuleName.FLOOD, match=f"{recent} in {seconds}s"))
        if self.quiet_period and message.sent_at < member.joined_at + self.quiet_period:
            if message.kind == MessageKind.IMAGE:
                hits.append(ScreeningHit(rule=RuleName.QUIET, match=MessageKind.IMAGE))
            elif message.kind == MessageKind.LINK or (
                text and next(iter(link_hosts(text)), None) is not None
            ):
                hits.append(ScreeningHit(rule=RuleName.QUIET, match=MessageKind.LINK))
        return self._decide(hits)

    def _pattern_hits(self, text: str) -> list[ScreeningHit]:
        if self.pattern_set is None:
            return []
        folded = unicodedata.normalize("NFKC", text)
        found = self.pattern_set.Match(folded) or []
        return [
            ScreeningHit(rule=RuleName.PATTERN, match=self.patterns[index][0])
            for index in sorted(found)
        ]

    def _decide(self, hits: Sequence[ScreeningHit]) -> Verdict:
        kept: list[ScreeningHit] = []
        worst: Verdict = ALLOWED
        for hit in hits:
            step = self.steps[RuleName(hit.rule)]
            if step.action == RuleAction.OFF:
                continue
            kept.append(hit)
            action = VerdictAction(step.action.value)
            if _SEVERITY[action] > _SEVERITY[worst.action]:
                worst = Verdict(action, RuleName(hit.rule), [], step.mute_hours)
        if not kept:
            return ALLOWED
        return Verdict(worst.action, worst.rule, kept[:MAX_HITS], worst.mute_hours)


def steps_of(actions: Mapping[str, Mapping[str, Any]]) -> dict[RuleName, Step]:
    """Every rule's step: the community's where it set one, the playbook's elsewhere."""
    steps = {
        rule: Step(action, DEFAULT_MUTE_HOURS.get(rule) if action == RuleAction.MUTE else None)
        for rule, action in DEFAULT_ACTIONS.items()
    }
    for rule, step in actions.items():
        steps[RuleName(rule)] = Step(RuleAction(step["action"]), step.get("mute_hours"))
    return steps


def compile_rules(document: Mapping[str, Any]) -> CompiledRules:
    """A community's rules (as stored: the JSON of `ModerationRules`, defaults where a field is
    missing) compiled; PatternRefused for a pattern RE2 refuses."""
    patterns = tuple(
        (item["name"], compile_pattern(item["name"], item["pattern"]))
        for item in document.get("patterns", ())
    )
    pattern_set = None
    if patterns:
        pattern_set = re2.Set.SearchSet(_options())
        for item in document.get("patterns", ()):
            try:
                pattern_set.Add(f"(?i:{item['pattern']})")
            except re2.error as exc:
                raise PatternRefused(item["name"], "not a valid RE2 pattern") from exc
        try:
            pattern_set.Compile()
        except re2.error as exc:
            raise PatternRefused(
                patterns[0][0], "the patterns together exceed RE2's memory bound"
            ) from exc
    flood = document.get("flood") or {}
    return CompiledRules(
        screener=screener_for(
            {rule: tuple(words) for rule, words in (document.get("words") or {}).items()},
            tuple(document.get("allowed_domains", ())),
        ),
        patterns=patterns,
        pattern_set=pattern_set,
        steps=steps_of(document.get("actions") or {}),
        reported_kinds=frozenset(document.get("reported_kinds", DEFAULT_REPORTED_KINDS)),
        mention_limit=document.get("mention_limit", DEFAULT_MENTION_LIMIT),
        flood_messages=flood.get("messages", DEFAULT_FLOOD_MESSAGES),
        flood_window=timedelta(seconds=flood.get("seconds", DEFAULT_FLOOD_SECONDS)),
        quiet_period=timedelta(hours=document.get("quiet_hours", DEFAULT_QUIET_HOURS)),
        exempt_roles=frozenset(document.get("exempt_roles", DEFAULT_EXEMPT_ROLES)),
        exempt_tiers=frozenset(document.get("exempt_tiers", ())),
    )
