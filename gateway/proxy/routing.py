"""Which upstream service owns a /v1 path.

Each service lists the exact path templates it serves (documented in /openapi.json); a path that
matches none of them is answered 404 by the gateway instead of being guessed at. A new route in
a service must be added here too: tests/gateway/test_gateway_routing.py walks every service's
routes and fails for any the table does not send to that service.
The services serve the same /v1 paths, so a path is forwarded unchanged.
"""

import re
from collections.abc import Mapping

from services.common.components import CONTENT, EVENTS, MEMBERS, SCORING

_COMMUNITY = "/v1/communities/{community_id}"
_MEMBER = f"{_COMMUNITY}/members/{{member_id}}"
_CONTENT = "/v1/content/{content_id}"
_EVENT = "/v1/events/{event_id}"
_CHALLENGE = "/v1/challenges/{challenge_id}"
_SERIES = "/v1/series/{series_id}"
_CONTENT_ACTIONS = ("submit", "approve", "reject", "schedule", "publish", "archive", "votes")
_EVENT_ACTIONS = ("publish", "cancel", "check-ins", "check-in-code", "feedback", "report")

# Paths anyone may GET without credentials: the token in the path is the credential (a secret
# calendar address a calendar app subscribes to). Forwarded with no identity.
PUBLIC_PATHS = ("/v1/calendar-feeds/{feed}",)
_CASE_ACTIONS = ("assign", "comments", "resolve")
_SURVEY = "/v1/communities/{community_id}/surveys/{survey_id}"
_SURVEY_ACTIONS = ("close", "responses", "results", "export")

PATHS: Mapping[str, tuple[str, ...]] = {
    MEMBERS.name: (
        "/v1/communities",
        _COMMUNITY,
        f"{_COMMUNITY}/tiers",
        f"{_COMMUNITY}/tiers/{{tier_id}}",
        f"{_COMMUNITY}/tiers/{{tier_id}}/benefits",
        f"{_COMMUNITY}/tier-policy",
        f"{_COMMUNITY}/tier-policy/run",
        f"{_COMMUNITY}/members",
        _MEMBER,
        f"{_MEMBER}/approve",
        f"{_MEMBER}/reject",
        f"{_MEMBER}/role",
        f"{_MEMBER}/tier",
        f"{_MEMBER}/tier-changes",
        f"{_MEMBER}/sanctions",
        f"{_COMMUNITY}/sanction-ladder",
        f"{_COMMUNITY}/invites",
        f"{_COMMUNITY}/invites/{{invite_id}}",
        f"{_COMMUNITY}/moderation/rules",
        f"{_COMMUNITY}/moderation/check",
        f"{_COMMUNITY}/reports",
        f"{_COMMUNITY}/lockdown",
        f"{_COMMUNITY}/incidents",
        f"{_COMMUNITY}/incidents/{{incident_id}}",
        f"{_COMMUNITY}/incidents/{{incident_id}}/entries",
        f"{_COMMUNITY}/playbooks/{{kind}}",
        f"{_COMMUNITY}/incident-policy",
        f"{_COMMUNITY}/cases",
        f"{_COMMUNITY}/cases/{{case_id}}",
        *(f"{_COMMUNITY}/cases/{{case_id}}/{action}" for action in _CASE_ACTIONS),
        f"{_COMMUNITY}/surveys",
        _SURVEY,
        *(f"{_SURVEY}/{action}" for action in _SURVEY_ACTIONS),
        f"{_SURVEY}/questions/{{question_id}}/texts",
        f"{_COMMUNITY}/survey-settings",
        # The NPS series of the monthly surveys lives with them; the rest of /metrics is
        # scoring's (docs/members.md, "Surveys").
        f"{_COMMUNITY}/metrics/nps",
        # The member journey: welcome, application questions, exit reasons.
        f"{_COMMUNITY}/welcome",
        f"{_COMMUNITY}/tiers/{{tier_id}}/welcome",
        f"{_COMMUNITY}/application-questions",
        f"{_COMMUNITY}/applications",
        f"{_MEMBER}/application",
        f"{_COMMUNITY}/exit-reasons",
        f"{_COMMUNITY}/rules/versions",
        f"{_COMMUNITY}/rules/versions/{{version}}",
        f"{_COMMUNITY}/rules/acknowledgements",
        f"{_COMMUNITY}/rules/pending-acknowledgements",
        "/v1/users/{user_id}/personal-data",
        "/v1/me/memberships",
        "/v1/me/communities/{community_id}/standing",
    ),
    CONTENT.name: (
        f"{_COMMUNITY}/content",
        _CONTENT,
        *(f"{_CONTENT}/{action}" for action in _CONTENT_ACTIONS),
        f"{_COMMUNITY}/calendar",
        f"{_COMMUNITY}/publishing-rules",
        f"{_COMMUNITY}/screening",
        f"{_COMMUNITY}/urgent-announcements",
        f"{_COMMUNITY}/series",
        _SERIES,
        f"{_SERIES}/pause",
        f"{_SERIES}/resume",
        f"{_COMMUNITY}/suggestions",
        f"{_COMMUNITY}/suggestions/{{suggestion_id}}",
        f"{_COMMUNITY}/suggestions/{{suggestion_id}}/vote",
        f"{_COMMUNITY}/suggestions/{{suggestion_id}}/status",
    ),
    EVENTS.name: (
        f"{_COMMUNITY}/events",
        f"{_COMMUNITY}/events.ics",
        f"{_COMMUNITY}/calendar-feed",
        *PUBLIC_PATHS,
        _EVENT,
        *(f"{_EVENT}/{action}" for action in _EVENT_ACTIONS),
        f"{_EVENT}/registrations",
        f"{_EVENT}/registrations/{{registration_id}}",
        f"{_EVENT}/registrations/{{registration_id}}/confirm",
        f"{_EVENT}/lottery",
        f"{_EVENT}/lottery/commit",
        f"{_EVENT}/lottery/{{lottery_id}}",
        f"{_EVENT}/lottery/{{lottery_id}}/draw",
        f"{_COMMUNITY}/challenges",
        _CHALLENGE,
        f"{_CHALLENGE}/check-ins",
        f"{_CHALLENGE}/streaks",
    ),
    SCORING.name: (
        "/v1/activities",
        f"{_COMMUNITY}/leaderboard",
        f"{_MEMBER}/engagement",
        f"{_MEMBER}/points",
        f"{_COMMUNITY}/scoring-rules",
        f"{_COMMUNITY}/metrics",
        f"{_COMMUNITY}/health",
        f"{_COMMUNITY}/warning-thresholds",
        f"{_COMMUNITY}/segments/{{segment}}/members",
        f"{_COMMUNITY}/onboarding/checklist",
        f"{_COMMUNITY}/onboarding/progress",
        f"{_MEMBER}/onboarding",
        f"{_COMMUNITY}/kols",
        f"{_COMMUNITY}/rewards",
        f"{_COMMUNITY}/rewards/{{reward_id}}",
        f"{_COMMUNITY}/rewards/{{reward_id}}/redemptions",
        f"{_COMMUNITY}/redemptions/{{redemption_id}}/cancel",
        f"{_MEMBER}/redemptions",
        f"{_COMMUNITY}/badges",
        f"{_MEMBER}/badges/{{badge_id}}",
        f"{_COMMUNITY}/nudge-campaigns",
        f"{_COMMUNITY}/nudge-campaigns/{{campaign_id}}",
        f"{_COMMUNITY}/nudge-campaigns/{{campaign_id}}/run",
        f"{_COMMUNITY}/nudge-campaigns/{{campaign_id}}/report",
        f"{_COMMUNITY}/nudge-campaigns/{{campaign_id}}/recipients",
        f"{_COMMUNITY}/rewards/{{reward_id}}/coupon-batches",
        f"{_COMMUNITY}/rewards/{{reward_id}}/coupon-batches/{{batch_id}}",
        f"{_COMMUNITY}/badges/{{badge_id}}/bulk-awards",
        f"{_COMMUNITY}/badges/{{badge_id}}/rules",
        f"{_COMMUNITY}/badges/{{badge_id}}/rules/{{rule_id}}",
        f"{_COMMUNITY}/levels",
        f"{_COMMUNITY}/levels/{{level}}",
        f"{_COMMUNITY}/levels/{{level}}/benefits",
        f"{_COMMUNITY}/lotteries",
        f"{_COMMUNITY}/lotteries/{{lottery_id}}",
        f"{_COMMUNITY}/lotteries/{{lottery_id}}/draw",
        f"{_COMMUNITY}/goals",
        f"{_COMMUNITY}/goals/{{goal_id}}",
        f"{_COMMUNITY}/content-ranking",
        f"{_COMMUNITY}/event-comparison",
        f"{_COMMUNITY}/periodic-reports",
        f"{_COMMUNITY}/reports/{{period}}",
        f"{_COMMUNITY}/reports/{{period}}/rebuild",
    ),
}

_PARAMETER = re.compile(r"\{[^/{}]+\}")


def template_pattern(template: str) -> str:
    """A regular expression for the paths a template matches: a parameter is one whole segment."""
    literals = _PARAMETER.split(template)
    return "[^/]+".join(re.escape(literal) for literal in literals)


def _compile(
    paths: Mapping[str, tuple[str, ...]],
) -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    # One alternation, one match per request; the named group that matched names the upstream
    # and the template.
    groups: dict[str, tuple[str, str]] = {}
    alternatives: list[str] = []
    for upstream, templates in paths.items():
        for template in templates:
            group = f"r{len(groups)}"
            groups[group] = (upstream, template)
            alternatives.append(f"(?P<{group}>{template_pattern(template)})")
    return re.compile("|".join(alternatives)), groups


_TABLE, _ROUTE_OF_GROUP = _compile(PATHS)


def upstream_for(path: str) -> str | None:
    """The upstream that serves this (percent-decoded) path, or None when no service does."""
    match = _TABLE.fullmatch(path)
    if match is None or match.lastgroup is None:
        return None
    return _ROUTE_OF_GROUP[match.lastgroup][0]


def template_for(path: str) -> str | None:
    """The path template a proxied path matches (`/v1/events/{event_id}`), for metrics."""
    match = _TABLE.fullmatch(path)
    if match is None or match.lastgroup is None:
        return None
    return _ROUTE_OF_GROUP[match.lastgroup][1]


_PUBLIC = re.compile("|".join(template_pattern(template) for template in PUBLIC_PATHS))


def is_public(path: str) -> bool:
    return _PUBLIC.fullmatch(path) is not None


def has_dot_segment(path: str) -> bool:
    """True when a segment is "." or "..".

    The HTTP clients normalise such paths before sending (`/v1/communities/../activities`
    leaves as `/v1/activities`), so the service that answers would not be the one the table
    chose. Such paths are refused rather than routed.
    """
    return any(segment in {".", ".."} for segment in path.split("/"))


# Paths the gateway serves itself (partners: API keys, webhooks, the event catalogue). They are
# matched by the gateway's own routes before the proxy; a method they do not serve is a 405.
LOCAL_PATHS: tuple[str, ...] = (
    "/v1/api-keys",
    "/v1/api-keys/{key_id}",
    "/v1/event-types",
    "/v1/webhooks",
    "/v1/webhooks/{webhook_id}",
    "/v1/webhooks/{webhook_id}/deliveries",
    "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    "/v1/webhooks/{webhook_id}/redeliver",
    "/v1/webhooks/{webhook_id}/ping",
)
_LOCAL = re.compile("|".join(f"(?:{template_pattern(t)})" for t in LOCAL_PATHS))


def is_local(path: str) -> bool:
    """Whether the gateway itself serves this (percent-decoded) path."""
    return _LOCAL.fullmatch(path) is not None
