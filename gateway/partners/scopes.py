"""What an API key may call: each route a partner may use, by method and path template, names
the scope it needs. A route not listed here answers 403 to every key (keys cannot create
communities, manage members, erase users, or manage keys and webhooks)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.proxy.routing import PATHS, template_pattern
from services.common.components import CONTENT, EVENTS, MEMBERS, SCORING

ACTIVITIES_WRITE = "activities:write"
MEMBERS_READ = "members:read"
CONTENT_READ = "content:read"
CONTENT_WRITE = "content:write"
EVENTS_READ = "events:read"
EVENTS_WRITE = "events:write"
SCORING_READ = "scoring:read"
SCORING_WRITE = "scoring:write"
MODERATION_CHECK = "moderation:check"

SCOPES: dict[str, str] = {
    ACTIVITIES_WRITE: "Push member activity (POST /v1/activities).",
    MEMBERS_READ: "Read communities, tiers and members.",
    CONTENT_READ: "Read content, calendars and polls.",
    CONTENT_WRITE: "Create, edit, submit, schedule and publish content (a vote is a member's own).",
    EVENTS_READ: "Read events, registrations, reports, challenges and calendars.",
    EVENTS_WRITE: "Create and run events: registrations, check-ins, feedback, lotteries.",
    SCORING_READ: "Read leaderboards, engagement, metrics and health.",
    SCORING_WRITE: "Award or deduct points and change scoring rules.",
    MODERATION_CHECK: "Check chat messages against the community's moderation rules (a chat bot).",
}

_READS = frozenset({"GET", "HEAD"})
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_COMMUNITY_PARAMETER = "{community_id}"
# Moderation's paths under a community: a key reads none of it (rules, reports, cases and
# lockdowns are the stewards'); a bot's key may only check messages.
_MODERATION_PARTS = (
    "/moderation/",
    "/reports",
    "/cases",
    "/lockdown",
    "/incident",
    "/playbooks",
)
# Surveys are the staff's (docs/members.md, "Surveys"): a key reads no answers or results; a
# partner hears `survey.*` through a webhook instead.
_SURVEY_PARTS = ("/surveys", "/survey-settings", "/metrics/nps")

# What members wrote for the stewards only: answers to application questions and the words
# they left with. No key reads them (the welcome and the questions themselves it may).
_PERSONAL_ENDINGS = ("/applications", "/application", "/exit-reasons")


@dataclass(frozen=True)
class ScopeRule:
    template: str
    methods: frozenset[str]
    scope: str
    pattern: re.Pattern[str]


def _rule(template: str, methods: frozenset[str], scope: str) -> ScopeRule:
    # The community id, when the path names one, is captured so the key's limit is checked.
    before, found, after = template.partition(_COMMUNITY_PARAMETER)
    if found:
        regex = template_pattern(before) + "(?P<community_id>[^/]+)" + template_pattern(after)
    else:
        regex = template_pattern(template)
    return ScopeRule(template, methods, scope, re.compile(regex))


def _rules() -> list[ScopeRule]:
    rules = [
        _rule("/v1/activities", frozenset({"POST"}), ACTIVITIES_WRITE),
        _rule(
            "/v1/communities/{community_id}/moderation/check", frozenset({"POST"}), MODERATION_CHECK
        ),
    ]
    # Members: reads inside a community only; a key never joins, approves or removes anyone.
    for template in PATHS[MEMBERS.name]:
        if (
            template.startswith("/v1/communities/{community_id}")
            and not template.endswith(
                ("/approve", "/reject", "/role", "/sanctions", "/invites", "/run", "/tier-policy")
            )
            and not any(part in template for part in (*_MODERATION_PARTS, *_SURVEY_PARTS))
            and not template.endswith(_PERSONAL_ENDINGS)
        ):
            rules.append(_rule(template, _READS, MEMBERS_READ))
    for service, read, write in (
        (CONTENT, CONTENT_READ, CONTENT_WRITE),
        (EVENTS, EVENTS_READ, EVENTS_WRITE),
        (SCORING, SCORING_READ, SCORING_WRITE),
    ):
        for template in PATHS[service.name]:
            if template == "/v1/activities":
                continue
            rules.append(_rule(template, _READS, read))
            rules.append(_rule(template, _WRITES, write))
    return rules


RULES: tuple[ScopeRule, ...] = tuple(_rules())


@dataclass(frozen=True)
class ScopeNeed:
    scope: str
    community_id: str | None


def scope_needed(method: str, path: str) -> ScopeNeed | None:
    """The scope a key needs for this call, and the community its path names; None when no
    key may make it."""
    for rule in RULES:
        if method in rule.methods and (match := rule.pattern.fullmatch(path)):
            community_id = match.groupdict().get("community_id")
            return ScopeNeed(rule.scope, community_id)
    return None


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(set(scopes) - SCOPES.keys())
