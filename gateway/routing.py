"""Which upstream service owns a /v1 path.

The table is ordered: the first match wins, so the narrow scoring, content and events paths
nested under /v1/communities/{cid} come before the members catch-all for /v1/communities.
The services serve the same /v1 paths, so a path is forwarded unchanged.
"""

import re
from dataclasses import dataclass
from typing import Final

MEMBERS: Final = "members"
CONTENT: Final = "content"
EVENTS: Final = "events"
SCORING: Final = "scoring"

_SEGMENT = r"[^/]+"
_COMMUNITY = rf"/v1/communities/{_SEGMENT}"
_SUBTREE = r"(?:/.*)?"


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    upstream: str


def _route(pattern: str, upstream: str) -> Route:
    return Route(re.compile(rf"^{pattern}$"), upstream)


ROUTES: tuple[Route, ...] = (
    _route(rf"/v1/activities{_SUBTREE}", SCORING),
    _route(rf"{_COMMUNITY}/leaderboard", SCORING),
    _route(rf"{_COMMUNITY}/members/{_SEGMENT}/engagement", SCORING),
    _route(rf"{_COMMUNITY}/members/{_SEGMENT}/points", SCORING),
    _route(rf"{_COMMUNITY}/scoring-rules", SCORING),
    _route(rf"{_COMMUNITY}/metrics", SCORING),
    _route(rf"{_COMMUNITY}/health", SCORING),
    _route(rf"{_COMMUNITY}/content{_SUBTREE}", CONTENT),
    _route(rf"{_COMMUNITY}/calendar", CONTENT),
    _route(rf"{_COMMUNITY}/publishing-rules", CONTENT),
    _route(rf"{_COMMUNITY}/series{_SUBTREE}", CONTENT),
    _route(r"/v1/content/.+", CONTENT),
    _route(rf"{_COMMUNITY}/events(?:\.ics|/.*)?", EVENTS),
    _route(rf"{_COMMUNITY}/challenges{_SUBTREE}", EVENTS),
    _route(r"/v1/events/.+", EVENTS),
    _route(r"/v1/challenges/.+", EVENTS),
    _route(rf"/v1/communities{_SUBTREE}", MEMBERS),
    _route(r"/v1/users/.+", MEMBERS),
)


def upstream_for(path: str) -> str | None:
    """The upstream that serves this (percent-decoded) path, or None when no service does."""
    for route in ROUTES:
        if route.pattern.match(path):
            return route.upstream
    return None


def has_dot_segment(path: str) -> bool:
    """True when a segment is "." or "..".

    The HTTP clients normalise such paths before sending (`/v1/communities/../activities`
    leaves as `/v1/activities`), so the service that answers would not be the one the table
    chose. Such paths are refused rather than routed.
    """
    return any(segment in {".", ".."} for segment in path.split("/"))
