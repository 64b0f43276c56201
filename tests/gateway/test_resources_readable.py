"""Whatever the API creates, it reads back (issue 21): the merged OpenAPI document the gateway
serves, built here from every service's real app and the gateway's own routes, is walked; a
POST that answers 201 (it creates something) on a path with no GET on that path nor on an item
below it is a resource nobody can read back, and fails the test, unless it is an action listed
in ACTIONS with the place its effect is read."""

from typing import Any

import pytest

from gateway.app import create_app
from gateway.proxy.openapi import MergedOpenApi, merge_openapi
from services.common.components import GATEWAY, SERVICES
from tests.gateway.fakes import gateway_settings

# POSTs that answer 201 but record an act on something else, read where that thing is read.
ACTIONS: dict[str, str] = {
    # A check-in stamps the registration: GET /v1/events/{event_id}/registrations shows it.
    "/v1/events/{event_id}/check-ins": "registrations",
    # A commitment creates the lottery read at GET …/lottery/{lottery_id} (and listed at
    # GET …/lottery), a sibling path rather than a child.
    "/v1/events/{event_id}/lottery/commit": "lottery",
    # A 打卡 day counts in GET /v1/challenges/{challenge_id}/streaks.
    "/v1/challenges/{challenge_id}/check-ins": "streaks",
    # A vote counts in the poll's results on GET /v1/content/{content_id}.
    "/v1/content/{content_id}/votes": "results",
    # A report joins a case, read by the case queue at GET …/cases/{case_id}; the reporter hears
    # the outcome as `case.resolved`.
    "/v1/communities/{community_id}/reports": "cases",
    # A timeline entry is read with its incident at GET …/incidents/{incident_id}.
    "/v1/communities/{community_id}/incidents/{incident_id}/entries": "incident",
    # A redemption is the member's: read at GET …/members/{member_id}/redemptions.
    "/v1/communities/{community_id}/rewards/{reward_id}/redemptions": "redemptions",
    # An urgent announcement is a content item, read at GET /v1/content/{content_id}.
    "/v1/communities/{community_id}/urgent-announcements": "content",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    specs: dict[str, Any] = {}
    for service in SERVICES:
        settings = service.load_settings_class()(environment="test")
        specs[service.name] = service.load_app_factory()(settings).openapi()
    gateway = create_app(gateway_settings(dict.fromkeys((s.name for s in SERVICES), "http://x")))
    specs[GATEWAY.name] = MergedOpenApi.local_spec(gateway)
    merged: dict[str, Any] = merge_openapi(specs)
    return merged


def creations(paths: dict[str, Any]) -> list[str]:
    return sorted(
        path for path, item in paths.items() if "201" in item.get("post", {}).get("responses", {})
    )


def readable(path: str, paths: dict[str, Any]) -> bool:
    """A GET on the path itself, or on an item right below it (`{path}/{id}`)."""
    if "get" in paths.get(path, {}):
        return True
    prefix = path + "/{"
    return any(
        "get" in item
        and other.startswith(prefix)
        and other.endswith("}")
        and "/" not in other[len(prefix) :]
        for other, item in paths.items()
    )


def test_every_resource_created_can_be_read_back(document: dict[str, Any]) -> None:
    paths = document["paths"]
    created = creations(paths)
    assert len(created) > 15, created  # the walk sees the whole API
    unreadable = [path for path in created if path not in ACTIONS and not readable(path, paths)]
    assert unreadable == [], "created (POST → 201) but never read (no GET on it or an item)"
    # The exceptions are real actions still served, and read where the comment says.
    assert set(ACTIONS) <= set(created), "an ACTIONS entry no longer creates anything"
    assert "get" in paths["/v1/events/{event_id}/registrations"]
    assert "get" in paths["/v1/events/{event_id}/lottery/{lottery_id}"]
    assert "get" in paths["/v1/challenges/{challenge_id}/streaks"]
    assert "get" in paths["/v1/content/{content_id}"]


def test_the_gaps_issue_21_found_are_closed(document: dict[str, Any]) -> None:
    paths = document["paths"]
    wanted = {
        ("get", "/v1/events/{event_id}/check-in-code"),
        ("get", "/v1/events/{event_id}/feedback"),
        ("get", "/v1/events/{event_id}/lottery"),
        ("get", "/v1/events/{event_id}/lottery/{lottery_id}"),
        ("get", "/v1/communities/{community_id}/invites"),
        ("delete", "/v1/communities/{community_id}/invites/{invite_id}"),
        ("get", "/v1/communities/{community_id}/series"),
        ("get", "/v1/series/{series_id}"),
        ("post", "/v1/series/{series_id}/pause"),
        ("post", "/v1/series/{series_id}/resume"),
        ("delete", "/v1/series/{series_id}"),
        ("get", "/v1/communities/{community_id}/challenges"),
        ("get", "/v1/challenges/{challenge_id}"),
        ("patch", "/v1/events/{event_id}"),
        ("delete", "/v1/content/{content_id}"),
        ("delete", "/v1/communities/{community_id}/tiers/{tier_id}"),
    }
    missing = sorted((m, p) for m, p in wanted if m not in paths.get(p, {}))
    assert missing == []
    event = document["components"]["schemas"]["EventPublic"]["properties"]
    assert {"capacity", "confirmed", "waitlisted", "seats_left"} <= set(event)
