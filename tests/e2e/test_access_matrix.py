"""Who may do what, through the gateway on the real processes: every /v1 route (every method
of every service and of the gateway itself), called by an anonymous client, a stranger to the
community, a plain member and its owner, answers only as the table says; so does every route
called with an API key of the community lacking the scope, one with it, and one for another
community. Two tests fail for a route without rows. And a service reached directly, around the
gateway, believes no one."""

import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from gateway.partners.routes import router as partners_router
from gateway.partners.scopes import SCOPES, scope_needed
from gateway.proxy.routing import LOCAL_PATHS, PATHS, template_pattern
from gateway.webhooks.routes import router as webhooks_router
from services.common.auth import signed_actor_headers
from services.common.components import SERVICES
from tests.e2e.conftest import INTERNAL_SECRET, System
from tests.support import eventually

pytestmark = pytest.mark.e2e

TIER_RANKS = itertools.count(2)
CALLERS = ("anonymous", "stranger", "member", "owner")
OWNER, MEMBER, STRANGER = "mx-owner", "mx-member", "mx-stranger"
# Another plain member, whose draft the member may not see.
WRITER = "mx-writer"
USERS = {"stranger": STRANGER, "member": MEMBER, "owner": OWNER}


@dataclass(frozen=True)
class World:
    """One community with an owner and a plain member, a content item, a draft event, a
    published one, one to cancel and a 打卡 challenge in it; partner keys its owner made (every
    scope; one scope only) and one for another community; another member's draft and a
    series."""

    community_id: str
    member_id: str
    content_id: str
    event_id: str
    published_event_id: str
    doomed_event_id: str
    challenge_id: str
    keys: dict[str, str]
    webhook_id: str
    key_content_id: str
    key_event_id: str
    elsewhere_id: str
    listed_id: str
    # A draft of WRITER's (issue 21: drafts are their author's and the editors'), and a series.
    draft_id: str
    series_id: str


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def activity(world: World) -> list[dict[str, Any]]:
    return [
        {
            "id": fresh("act"),
            "community_id": world.community_id,
            "member_id": world.member_id,
            "type": "message",
            "occurred_at": datetime.now(UTC).isoformat(),
        }
    ]


CONTENT = {"kind": "article", "title": "Notes", "body": "Hello", "source": "member"}
URGENT = {"title": "紧急通知", "body": "Matrix drill, please ignore"}
_STARTS = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
EVENT = {
    "title": "Meetup",
    "kind": "salon",
    "format": "online",
    "url": "https://meet.example.com/huoli",
    "starts_at": _STARTS.isoformat(),
    "ends_at": (_STARTS + timedelta(hours=2)).isoformat(),
}
_SINCE = (datetime.now(UTC) - timedelta(days=1)).isoformat()
CHALLENGE = {"title": "早起", "days": 7, "starts_on": datetime.now(UTC).date().isoformat()}
LOTTERY = {"winners": 1, "pool": "registrants", "prize": "书"}
REWARD = {"name": "马克杯", "price": 10, "stock": 5}
GOAL = {"metric": "members", "period": "2027-Q1", "target": 100}
COMMUNITY_LOTTERY = {"prize": "书", "winners": 1, "pool": {"kind": "segment", "segment": "core"}}
SUGGESTION = {"title": "多办线下活动", "body": "每月一次"}
NUDGE = {"name": "Matrix", "segment": "silent", "template": "{name} 回来看看"}
SERIES = {
    "title": "Morning brief",
    "kind": "brief",
    "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
    "body_template": "Brief of {date}",
    "starts_at": "2027-01-04T08:00:00+08:00",
}
Body = Callable[[World], Any] | None
# Nothing listens on the discard port; no test here sends to it but a ping, which fails there.
WEBHOOK_URL = "http://127.0.0.1:9/hook"


def chat_message(world: "World") -> dict[str, Any]:
    """A plain chat message of the world's member, for the moderation check."""
    return {
        "message_id": fresh("msg"),
        "member_id": world.member_id,
        "text": "大家好 hello",
        "sent_at": datetime.now(UTC).isoformat(),
    }


def lockdown(world: "World") -> dict[str, Any]:
    # Held for approval only, briefly: the row after next lifts it.
    return {"until": (datetime.now(UTC) + timedelta(minutes=5)).isoformat()}


def survey_request(world: "World") -> dict[str, Any]:
    return {"title": "矩阵问卷", "questions": [{"id": "q1", "kind": "nps", "text": "推荐吗"}]}


def key_request(world: "World") -> dict[str, Any]:
    return {"name": "bot", "scopes": ["members:read"], "community_ids": [world.community_id]}


def webhook_request(world: "World") -> dict[str, Any]:
    return webhook_request_for(world.community_id)


# Expected answers by caller: anonymous, stranger, member, owner. For POST /v1/activities, which
# answers 202 and refuses item by item, "202:<reason>" names the one item's rejection, and
# "202:pending:<reason>" an item held (a stranger's community reads like one scoring does not
# know yet: held, then refused after the hold).
MATRIX: list[tuple[str, str, Body, tuple[str, str, str, str]]] = [
    ("POST", "/v1/communities", lambda w: {"name": "Another"}, ("401", "201", "201", "201")),
    ("GET", "/v1/communities", None, ("401", "200", "200", "200")),
    # Known only to its members (404 like any of its sub-resources)...
    ("GET", "/v1/communities/{cid}", None, ("401", "404", "200", "200")),
    # ...unless its owner lists it for discovery: then anyone reads it, without its owner.
    ("GET", "/v1/communities/{listed_cid}", None, ("401", "200", "200", "200")),
    # Adding someone else: only the owner may (joining oneself is how a stranger gets in).
    (
        "POST",
        "/v1/communities/{cid}/members",
        lambda w: {"user_id": fresh("u"), "display_name": "New"},
        ("401", "403", "403", "201"),
    ),
    ("GET", "/v1/communities/{cid}/members", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/members/{mid}", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/tiers", None, ("401", "404", "200", "200")),
    (
        "POST",
        "/v1/communities/{cid}/tiers",
        lambda w: {"name": fresh("tier"), "rank": next(TIER_RANKS)},
        ("401", "404", "403", "201"),
    ),
    ("POST", "/v1/communities/{cid}/invites", lambda w: {}, ("401", "404", "403", "201")),
    # Invite codes are secrets: listed and revoked by those who make them.
    ("GET", "/v1/communities/{cid}/invites", None, ("401", "404", "403", "200")),
    (
        "DELETE",
        "/v1/communities/{cid}/invites/inv_nope",
        None,
        ("401", "404", "403", "404"),
    ),
    ("DELETE", "/v1/communities/{cid}/tiers/tier_nope", None, ("401", "404", "403", "404")),
    # Another member's user id is for staff (a member finds only their own member id).
    (
        "GET",
        "/v1/communities/{cid}/members?user_id=mx-owner",
        None,
        ("401", "404", "403", "200"),
    ),
    (
        "PATCH",
        "/v1/communities/{cid}/members/{mid}",
        lambda w: {"display_name": "Member 成员"},
        ("401", "404", "200", "200"),
    ),
    # The owner warns the member once (a warning only: the member stays for the rows below).
    (
        "POST",
        "/v1/communities/{cid}/members/{mid}/sanctions",
        lambda w: {"kind": "warn", "reason": "matrix"},
        ("401", "404", "403", "201"),
    ),
    # The member reads their own history.
    ("GET", "/v1/communities/{cid}/members/{mid}/sanctions", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/sanction-ladder", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/sanction-ladder",
        lambda w: {"warnings_before_mute": 5},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/tier-policy", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/tier-policy",
        lambda w: {"scheduled": False},
        ("401", "404", "403", "200"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/tier-policy/run",
        lambda w: {"dry_run": True},
        ("401", "404", "403", "200"),
    ),
    # Each member reads their own standing; moving a member by hand is for owners and admins
    # (here to a tier that does not exist: 404 once admitted).
    ("GET", "/v1/me/communities/{cid}/standing", None, ("401", "404", "200", "200")),
    (
        "POST",
        "/v1/communities/{cid}/members/{mid}/tier",
        lambda w: {"tier_id": "tier_nope", "reason": "matrix"},
        ("401", "404", "403", "404"),
    ),
    (
        "GET",
        "/v1/communities/{cid}/members/{mid}/tier-changes",
        None,
        ("401", "404", "403", "200"),
    ),
    # Only the user themself (or a platform admin) erases a user's data; nobody here is them.
    ("DELETE", "/v1/users/mx-erasable/personal-data", None, ("401", "403", "403", "403")),
    ("POST", "/v1/communities/{cid}/content", lambda w: CONTENT, ("401", "404", "201", "201")),
    ("GET", "/v1/communities/{cid}/content", None, ("401", "404", "200", "200")),
    # The owner's item is still a draft here: not the plain member's to see (issue 21).
    ("GET", "/v1/content/{content_id}", None, ("401", "404", "404", "200")),
    # Another member's draft: its author's and the editors' only (404 to everyone else, as if
    # it did not exist), whatever the status filter asks for.
    ("GET", "/v1/content/{draft_id}", None, ("401", "404", "404", "200")),
    # The owner's item walks the workflow, one row after the other; a plain member may do
    # none of it (not the author, not an editor).
    (
        "PATCH",
        "/v1/content/{content_id}",
        lambda w: {"title": "Edited"},
        ("401", "404", "403", "200"),
    ),
    ("POST", "/v1/content/{content_id}/submit", None, ("401", "404", "403", "200")),
    ("POST", "/v1/content/{content_id}/approve", None, ("401", "404", "403", "200")),
    ("POST", "/v1/content/{content_id}/schedule", None, ("401", "404", "403", "200")),
    ("POST", "/v1/content/{content_id}/publish", None, ("401", "404", "403", "200")),
    ("POST", "/v1/content/{content_id}/archive", None, ("401", "404", "403", "200")),
    # The role is checked before the state: the member is refused, the owner told it is too late.
    ("POST", "/v1/content/{content_id}/reject", None, ("401", "404", "403", "409")),
    # The member votes as themselves in something that is not a poll; the owner may not vote
    # in the member's name.
    (
        "POST",
        "/v1/content/{content_id}/votes",
        lambda w: {"member_id": w.member_id, "option": "A"},
        ("401", "404", "409", "403"),
    ),
    ("GET", "/v1/communities/{cid}/calendar", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/publishing-rules", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/publishing-rules",
        lambda w: {},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/screening", None, ("401", "404", "403", "200")),
    ("PUT", "/v1/communities/{cid}/screening", lambda w: {}, ("401", "404", "403", "200")),
    # An urgent announcement: owner and admin only, published at once.
    (
        "POST",
        "/v1/communities/{cid}/urgent-announcements",
        lambda w: URGENT,
        ("401", "404", "403", "201"),
    ),
    # The suggestion box: members post, list and +1; the author edits and withdraws; owners and
    # admins set the status (the ids here exist nowhere: past authorization, 404).
    (
        "POST",
        "/v1/communities/{cid}/suggestions",
        lambda w: SUGGESTION,
        ("401", "404", "201", "201"),
    ),
    ("GET", "/v1/communities/{cid}/suggestions", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/suggestions/sug_nope", None, ("401", "404", "404", "404")),
    (
        "PATCH",
        "/v1/communities/{cid}/suggestions/sug_nope",
        lambda w: {"title": "x"},
        ("401", "404", "404", "404"),
    ),
    ("DELETE", "/v1/communities/{cid}/suggestions/sug_nope", None, ("401", "404", "404", "404")),
    (
        "PUT",
        "/v1/communities/{cid}/suggestions/sug_nope/vote",
        None,
        ("401", "404", "404", "404"),
    ),
    (
        "DELETE",
        "/v1/communities/{cid}/suggestions/sug_nope/vote",
        None,
        ("401", "404", "404", "404"),
    ),
    (
        "PUT",
        "/v1/communities/{cid}/suggestions/sug_nope/status",
        lambda w: {"status": "planned", "reply": "matrix"},
        ("401", "404", "403", "404"),
    ),
    ("POST", "/v1/communities/{cid}/series", lambda w: SERIES, ("401", "404", "403", "201")),
    # Series are the editors' to read, the owner's and admins' to pause, resume and delete.
    ("GET", "/v1/communities/{cid}/series", None, ("401", "404", "403", "200")),
    ("GET", "/v1/series/{series_id}", None, ("401", "404", "403", "200")),
    ("POST", "/v1/series/{series_id}/pause", None, ("401", "404", "403", "200")),
    ("POST", "/v1/series/{series_id}/resume", None, ("401", "404", "403", "200")),
    ("DELETE", "/v1/series/{series_id}", None, ("401", "404", "403", "204")),
    ("POST", "/v1/communities/{cid}/events", lambda w: EVENT, ("401", "404", "403", "201")),
    ("GET", "/v1/communities/{cid}/events", None, ("401", "404", "200", "200")),
    ("GET", "/v1/events/{event_id}", None, ("401", "404", "200", "200")),
    # The draft event, edited before it starts (organisers).
    (
        "PATCH",
        "/v1/events/{event_id}",
        lambda w: {"title": "Meetup 改"},
        ("401", "404", "403", "200"),
    ),
    ("POST", "/v1/events/{event_id}/publish", None, ("401", "404", "403", "200")),
    (
        "POST",
        "/v1/events/{doomed_event_id}/cancel",
        lambda w: {"reason": "x"},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/events.ics", None, ("401", "404", "200", "200")),
    # The secret calendar address: owners and admins make and revoke it, members read it; the
    # address itself needs no credentials (an unknown one is 404 to everyone).
    ("POST", "/v1/communities/{cid}/calendar-feed", None, ("401", "404", "403", "201")),
    ("GET", "/v1/communities/{cid}/calendar-feed", None, ("401", "404", "200", "200")),
    ("DELETE", "/v1/communities/{cid}/calendar-feed", None, ("401", "404", "403", "204")),
    ("GET", "/v1/calendar-feeds/nope.ics", None, ("404", "404", "404", "404")),
    # Someone the community does not have: a member may not register others, an organiser may,
    # but there is nobody to register.
    (
        "POST",
        "/v1/events/{published_event_id}/registrations",
        lambda w: {"member_id": "mbr_nobody"},
        ("401", "404", "403", "404"),
    ),
    (
        "GET",
        "/v1/events/{published_event_id}/registrations",
        None,
        ("401", "404", "200", "200"),
    ),
    (
        "DELETE",
        "/v1/events/{published_event_id}/registrations/reg_nope",
        None,
        ("401", "404", "404", "404"),
    ),
    (
        "POST",
        "/v1/events/{published_event_id}/registrations/reg_nope/confirm",
        None,
        ("401", "404", "404", "404"),
    ),
    # The published event starts in a week: check-in is not open yet.
    (
        "POST",
        "/v1/events/{published_event_id}/check-ins",
        lambda w: {"member_id": w.member_id, "code": "000000"},
        ("401", "404", "409", "409"),
    ),
    (
        "POST",
        "/v1/events/{published_event_id}/feedback",
        lambda w: {"member_id": w.member_id, "rating": 5},
        ("401", "404", "403", "403"),
    ),
    ("GET", "/v1/events/{published_event_id}/report", None, ("401", "404", "403", "200")),
    (
        "GET",
        "/v1/events/{published_event_id}/check-in-code",
        None,
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/events/{published_event_id}/feedback", None, ("401", "404", "403", "200")),
    # Lotteries are every member's to check.
    ("GET", "/v1/events/{published_event_id}/lottery", None, ("401", "404", "200", "200")),
    (
        "GET",
        "/v1/events/{published_event_id}/lottery/lot_nope",
        None,
        ("401", "404", "404", "404"),
    ),
    (
        "POST",
        "/v1/events/{published_event_id}/lottery/commit",
        lambda w: LOTTERY,
        ("401", "404", "403", "201"),
    ),
    (
        "POST",
        "/v1/events/{published_event_id}/lottery/lot_nope/draw",
        None,
        ("401", "404", "403", "404"),
    ),
    (
        "POST",
        "/v1/events/{published_event_id}/lottery",
        lambda w: LOTTERY,
        ("401", "404", "403", "201"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/challenges",
        lambda w: CHALLENGE,
        ("401", "404", "403", "201"),
    ),
    # A day far outside the challenge: refused alike for the member and the owner.
    (
        "POST",
        "/v1/challenges/{challenge_id}/check-ins",
        lambda w: {"member_id": w.member_id, "date": "2999-01-01"},
        ("401", "404", "409", "409"),
    ),
    ("GET", "/v1/challenges/{challenge_id}/streaks", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/challenges", None, ("401", "404", "200", "200")),
    ("GET", "/v1/challenges/{challenge_id}", None, ("401", "404", "200", "200")),
    (
        "POST",
        "/v1/activities",
        activity,
        ("401", "202:pending:unknown_community", "202:not_allowed", "202"),
    ),
    ("GET", "/v1/communities/{cid}/leaderboard", None, ("401", "404", "200", "200")),
    (
        "GET",
        "/v1/communities/{cid}/members/{mid}/engagement",
        None,
        ("401", "404", "200", "200"),
    ),
    # Awarding points and changing the rules are for owners and admins; the rules are public
    # to members; metrics and health are the operators'.
    (
        "POST",
        "/v1/communities/{cid}/members/{mid}/points",
        lambda w: {"delta": 5, "reason": "access matrix"},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/scoring-rules", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/scoring-rules",
        lambda w: {"half_life_days": 14},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/metrics", None, ("401", "404", "403", "200")),
    (
        "GET",
        "/v1/communities/{cid}/segments/slipping/members",
        None,
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/kols", None, ("401", "404", "403", "200")),
    # Versioned rules (issue 23): owners and admins publish, every member reads and acknowledges
    # the current version as themself; moderators list who has not yet.
    (
        "POST",
        "/v1/communities/{cid}/rules/versions",
        lambda w: {"title": "群规", "body": "友善交流"},
        ("401", "404", "403", "201"),
    ),
    ("GET", "/v1/communities/{cid}/rules/versions", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/rules/versions/1", None, ("401", "404", "200", "200")),
    (
        "POST",
        "/v1/communities/{cid}/rules/acknowledgements",
        lambda w: {"version": 1},
        ("401", "404", "201", "201"),
    ),
    ("GET", "/v1/communities/{cid}/rules/acknowledgements", None, ("401", "404", "200", "200")),
    (
        "GET",
        "/v1/communities/{cid}/rules/pending-acknowledgements",
        None,
        ("401", "404", "403", "200"),
    ),
    # The onboarding checklist: members read it and their own progress; owners and admins
    # choose the steps; the staff read everyone's progress.
    ("GET", "/v1/communities/{cid}/onboarding/checklist", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/onboarding/checklist",
        lambda w: {"steps": ["acknowledge_rules"]},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/onboarding/progress", None, ("401", "404", "403", "200")),
    (
        "GET",
        "/v1/communities/{cid}/members/{mid}/onboarding",
        None,
        ("401", "404", "200", "200"),
    ),
    ("GET", "/v1/communities/{cid}/health", None, ("401", "404", "403", "200")),
    ("GET", "/v1/communities/{cid}/warning-thresholds", None, ("401", "404", "403", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/warning-thresholds",
        lambda w: {"thresholds": {}},
        ("401", "404", "403", "200"),
    ),
    # Goals and reports are the operators': owners and admins set goals and rebuild reports;
    # owners, admins and enforcers read them. 2001-01 ended before the community existed.
    ("POST", "/v1/communities/{cid}/goals", lambda w: GOAL, ("401", "404", "403", "201")),
    ("GET", "/v1/communities/{cid}/goals", None, ("401", "404", "403", "200")),
    ("GET", "/v1/communities/{cid}/goals/goal_nope", None, ("401", "404", "403", "404")),
    (
        "PATCH",
        "/v1/communities/{cid}/goals/goal_nope",
        lambda w: {"target": 1},
        ("401", "404", "403", "404"),
    ),
    ("DELETE", "/v1/communities/{cid}/goals/goal_nope", None, ("401", "404", "403", "404")),
    ("GET", "/v1/communities/{cid}/content-ranking", None, ("401", "404", "403", "200")),
    ("GET", "/v1/communities/{cid}/event-comparison", None, ("401", "404", "403", "200")),
    ("GET", "/v1/communities/{cid}/periodic-reports", None, ("401", "404", "403", "200")),
    ("GET", "/v1/communities/{cid}/reports/2001-01", None, ("401", "404", "403", "422")),
    (
        "POST",
        "/v1/communities/{cid}/reports/2001-01/rebuild",
        None,
        ("401", "404", "403", "422"),
    ),
    # The points mall: owners and admins stock it and cancel; members browse and redeem; a
    # member's redemptions are theirs and the staff's to see.
    ("POST", "/v1/communities/{cid}/rewards", lambda w: REWARD, ("401", "404", "403", "201")),
    ("GET", "/v1/communities/{cid}/rewards", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/rewards/rwd_nope", None, ("401", "404", "404", "404")),
    (
        "PATCH",
        "/v1/communities/{cid}/rewards/rwd_nope",
        lambda w: {"stock": 1},
        ("401", "404", "403", "404"),
    ),
    ("DELETE", "/v1/communities/{cid}/rewards/rwd_nope", None, ("401", "404", "403", "404")),
    (
        "POST",
        "/v1/communities/{cid}/rewards/rwd_nope/redemptions",
        lambda w: {},
        ("401", "404", "404", "404"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/redemptions/rdm_nope/cancel",
        lambda w: {"reason": "matrix"},
        ("401", "404", "403", "404"),
    ),
    (
        "GET",
        "/v1/communities/{cid}/members/{mid}/redemptions",
        None,
        ("401", "404", "200", "200"),
    ),
    # Win-back campaigns are the owners' and admins' only.
    (
        "POST",
        "/v1/communities/{cid}/nudge-campaigns",
        lambda w: NUDGE,
        ("401", "404", "403", "201"),
    ),
    ("GET", "/v1/communities/{cid}/nudge-campaigns", None, ("401", "404", "403", "200")),
    (
        "GET",
        "/v1/communities/{cid}/nudge-campaigns/ncp_nope",
        None,
        ("401", "404", "403", "404"),
    ),
    (
        "DELETE",
        "/v1/communities/{cid}/nudge-campaigns/ncp_nope",
        None,
        ("401", "404", "403", "404"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/nudge-campaigns/ncp_nope/run",
        None,
        ("401", "404", "403", "404"),
    ),
    (
        "GET",
        "/v1/communities/{cid}/nudge-campaigns/ncp_nope/report",
        None,
        ("401", "404", "403", "404"),
    ),
    (
        "GET",
        "/v1/communities/{cid}/nudge-campaigns/ncp_nope/recipients",
        None,
        ("401", "404", "403", "404"),
    ),
    # Badges: operators define, award by hand and revoke; members see the list.
    (
        "POST",
        "/v1/communities/{cid}/badges",
        lambda w: {"name": "共建者"},
        ("401", "404", "403", "201"),
    ),
    ("GET", "/v1/communities/{cid}/badges", None, ("401", "404", "200", "200")),
    # A built-in badge is earned by its rule only: the owner gets past authorization.
    (
        "PUT",
        "/v1/communities/{cid}/members/{mid}/badges/first_event",
        None,
        ("401", "404", "403", "409"),
    ),
    (
        "DELETE",
        "/v1/communities/{cid}/members/{mid}/badges/bdg_nope",
        None,
        ("401", "404", "403", "404"),
    ),
    # Coupon batches, badge rules and bulk awards, level benefits and community lotteries
    # (issue 24): operators write; members read levels, rules and lotteries; codes are staff's.
    (
        "POST",
        "/v1/communities/{cid}/rewards/rwd_nope/coupon-batches",
        lambda w: {"generate": 1},
        ("401", "404", "403", "404"),
    ),
    (
        "GET",
        "/v1/communities/{cid}/rewards/rwd_nope/coupon-batches",
        None,
        ("401", "404", "403", "404"),
    ),
    (
        "GET",
        "/v1/communities/{cid}/rewards/rwd_nope/coupon-batches/cpb_nope",
        None,
        ("401", "404", "403", "404"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/badges/bdg_nope/bulk-awards",
        lambda w: {"event_id": w.published_event_id},
        ("401", "404", "403", "404"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/badges/bdg_nope/rules",
        lambda w: {"rule": {"kind": "level", "level": 2}},
        ("401", "404", "403", "404"),
    ),
    ("GET", "/v1/communities/{cid}/badges/bdg_nope/rules", None, ("401", "404", "404", "404")),
    (
        "GET",
        "/v1/communities/{cid}/badges/bdg_nope/rules/bdr_nope",
        None,
        ("401", "404", "404", "404"),
    ),
    (
        "DELETE",
        "/v1/communities/{cid}/badges/bdg_nope/rules/bdr_nope",
        None,
        ("401", "404", "403", "404"),
    ),
    ("GET", "/v1/communities/{cid}/levels", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/levels/3", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/levels/3/benefits",
        lambda w: {"benefits": [{"title": "优先报名"}]},
        ("401", "404", "403", "200"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/lotteries",
        lambda w: COMMUNITY_LOTTERY,
        ("401", "404", "403", "201"),
    ),
    ("GET", "/v1/communities/{cid}/lotteries", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/lotteries/clot_nope", None, ("401", "404", "404", "404")),
    (
        "POST",
        "/v1/communities/{cid}/lotteries/clot_nope/draw",
        None,
        ("401", "404", "403", "404"),
    ),
    (
        "PUT",
        "/v1/communities/{cid}/tiers/tier_nope/benefits",
        lambda w: {"benefits": []},
        ("401", "404", "403", "404"),
    ),
    ("GET", "/v1/communities/{cid}/tiers/tier_nope/benefits", None, ("401", "404", "404", "404")),
    # The gateway's own: keys and webhooks are managed by a community's owner and admins.
    ("GET", "/v1/event-types", None, ("401", "200", "200", "200")),
    ("POST", "/v1/api-keys", key_request, ("401", "404", "403", "201")),
    ("GET", "/v1/api-keys", None, ("401", "200", "200", "200")),
    ("POST", "/v1/webhooks", webhook_request, ("401", "404", "403", "201")),
    ("GET", "/v1/webhooks", None, ("401", "200", "200", "200")),
    ("GET", "/v1/webhooks/{webhook_id}", None, ("401", "404", "404", "200")),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries", None, ("401", "404", "404", "200")),
    ("POST", "/v1/webhooks/{webhook_id}/ping", None, ("401", "404", "404", "202")),
    (
        "POST",
        "/v1/webhooks/{webhook_id}/redeliver",
        lambda w: {"since": _SINCE},
        ("401", "404", "404", "202"),
    ),
    (
        "POST",
        "/v1/webhooks/{webhook_id}/deliveries/dlv_nope/redeliver",
        None,
        ("401", "404", "404", "404"),
    ),
    (
        "PATCH",
        "/v1/webhooks/{webhook_id}",
        lambda w: {"url": WEBHOOK_URL},
        ("401", "404", "404", "200"),
    ),
    ("DELETE", "/v1/api-keys/key_nope", None, ("401", "404", "404", "404")),
    ("GET", "/v1/me/memberships", None, ("401", "200", "200", "200")),
    (
        "PATCH",
        "/v1/communities/{cid}",
        lambda w: {"name": "Access 矩阵"},
        ("401", "404", "403", "200"),
    ),
    (
        "PATCH",
        "/v1/communities/{cid}/tiers/tier_nope",
        lambda w: {"name": "Renamed"},
        ("401", "404", "403", "404"),
    ),
    # The member is already in: nothing to approve or reject, once past the role check.
    (
        "POST",
        "/v1/communities/{cid}/members/{mid}/approve",
        None,
        ("401", "404", "403", "409"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/members/{mid}/reject",
        None,
        ("401", "404", "403", "409"),
    ),
    (
        "PUT",
        "/v1/communities/{cid}/members/{mid}/role",
        lambda w: {"role": "member"},
        ("401", "404", "403", "200"),
    ),
    (
        "DELETE",
        "/v1/communities/{cid}/members/mbr_nope",
        None,
        ("401", "404", "403", "404"),
    ),
    # The draft goes: only its author or an editor may delete it.
    ("DELETE", "/v1/content/{draft_id}", None, ("401", "404", "404", "204")),
    # Moderation (issue 22): the rules are the stewards'; a plain member may not check
    # messages or work cases, but reports; the lockdown is started and lifted by the owner.
    ("GET", "/v1/communities/{cid}/moderation/rules", None, ("401", "404", "403", "200")),
    ("PUT", "/v1/communities/{cid}/moderation/rules", lambda w: {}, ("401", "404", "403", "200")),
    (
        "POST",
        "/v1/communities/{cid}/moderation/check",
        chat_message,
        ("401", "404", "403", "200"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/reports",
        lambda w: {
            "target": {"type": "content", "id": fresh("cnt")},
            "kind": "other",
            "reason": "matrix",
        },
        ("401", "404", "201", "201"),
    ),
    ("GET", "/v1/communities/{cid}/cases", None, ("401", "404", "403", "200")),
    ("GET", "/v1/communities/{cid}/cases/case_nope", None, ("401", "404", "403", "404")),
    (
        "POST",
        "/v1/communities/{cid}/cases/case_nope/assign",
        lambda w: {},
        ("401", "404", "403", "404"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/cases/case_nope/comments",
        lambda w: {"text": "matrix"},
        ("401", "404", "403", "404"),
    ),
    # A resolution by a plain member: refused before the case is even looked for.
    (
        "POST",
        "/v1/communities/{cid}/cases/case_nope/resolve",
        lambda w: {"resolution": "dismiss"},
        ("401", "404", "403", "404"),
    ),
    ("POST", "/v1/communities/{cid}/lockdown", lockdown, ("401", "404", "403", "201")),
    ("GET", "/v1/communities/{cid}/lockdown", None, ("401", "404", "200", "200")),
    ("DELETE", "/v1/communities/{cid}/lockdown", None, ("401", "404", "403", "204")),
    (
        "POST",
        "/v1/communities/{cid}/incidents",
        lambda w: {"kind": "attack", "severity": "low", "summary": "matrix", "drill": True},
        ("401", "404", "403", "201"),
    ),
    ("GET", "/v1/communities/{cid}/incidents", None, ("401", "404", "403", "200")),
    ("GET", "/v1/communities/{cid}/incidents/inc_nope", None, ("401", "404", "403", "404")),
    (
        "PATCH",
        "/v1/communities/{cid}/incidents/inc_nope",
        lambda w: {"severity": "low"},
        ("401", "404", "403", "404"),
    ),
    (
        "POST",
        "/v1/communities/{cid}/incidents/inc_nope/entries",
        lambda w: {"text": "matrix"},
        ("401", "404", "403", "404"),
    ),
    ("GET", "/v1/communities/{cid}/incident-policy", None, ("401", "404", "403", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/incident-policy",
        lambda w: {"auto_open_at": None},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/playbooks/attack", None, ("401", "404", "403", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/playbooks/attack",
        lambda w: {"items": ["matrix"]},
        ("401", "404", "403", "200"),
    ),
    # Surveys (issue 23): staff make them and read results; a member answers those asking
    # them (srv_nope: none), a stranger learns nothing of a private community.
    ("POST", "/v1/communities/{cid}/surveys", survey_request, ("401", "404", "403", "201")),
    ("GET", "/v1/communities/{cid}/surveys", None, ("401", "404", "200", "200")),
    ("GET", "/v1/communities/{cid}/surveys/srv_nope", None, ("401", "404", "404", "404")),
    ("POST", "/v1/communities/{cid}/surveys/srv_nope/close", None, ("401", "404", "403", "404")),
    (
        "POST",
        "/v1/communities/{cid}/surveys/srv_nope/responses",
        lambda w: {"answers": {"q1": 9}},
        ("401", "404", "404", "404"),
    ),
    ("GET", "/v1/communities/{cid}/surveys/srv_nope/responses", None, ("401", "404", "404", "404")),
    ("GET", "/v1/communities/{cid}/surveys/srv_nope/results", None, ("401", "404", "403", "404")),
    (
        "GET",
        "/v1/communities/{cid}/surveys/srv_nope/questions/q1/texts",
        None,
        ("401", "404", "403", "404"),
    ),
    ("GET", "/v1/communities/{cid}/surveys/srv_nope/export", None, ("401", "404", "403", "404")),
    ("GET", "/v1/communities/{cid}/survey-settings", None, ("401", "404", "403", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/survey-settings",
        lambda w: {"monthly_nps": False},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/metrics/nps", None, ("401", "404", "403", "200")),
    # The member journey (issue 23): the welcome and the application questions are read by
    # members, set by the owner and admins; answers and exit reasons are the stewards' (a
    # member reads their own application: the world's member answered nothing, 404).
    ("GET", "/v1/communities/{cid}/welcome", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/welcome",
        lambda w: {"template": "欢迎 {name}"},
        ("401", "404", "403", "200"),
    ),
    ("DELETE", "/v1/communities/{cid}/welcome", None, ("401", "404", "403", "204")),
    (
        "PUT",
        "/v1/communities/{cid}/tiers/tier_nope/welcome",
        lambda w: {"template": "{name}"},
        ("401", "404", "403", "404"),
    ),
    (
        "DELETE",
        "/v1/communities/{cid}/tiers/tier_nope/welcome",
        None,
        ("401", "404", "403", "404"),
    ),
    ("GET", "/v1/communities/{cid}/application-questions", None, ("401", "404", "200", "200")),
    (
        "PUT",
        "/v1/communities/{cid}/application-questions",
        lambda w: {"questions": []},
        ("401", "404", "403", "200"),
    ),
    ("GET", "/v1/communities/{cid}/applications", None, ("401", "404", "403", "200")),
    (
        "GET",
        "/v1/communities/{cid}/members/{mid}/application",
        None,
        ("401", "404", "404", "404"),
    ),
    ("GET", "/v1/communities/{cid}/exit-reasons", None, ("401", "404", "403", "200")),
    # Last: the webhook goes.
    ("DELETE", "/v1/webhooks/{webhook_id}", None, ("401", "404", "404", "204")),
]
CASES = [
    pytest.param(method, path, body, caller, expected, id=f"{method} {path} as {caller}")
    for method, path, body, answers in MATRIX
    for caller, expected in zip(CALLERS, answers, strict=True)
]


@pytest.fixture(scope="module")
async def world(system: System) -> World:
    owner, member = system.auth(OWNER), system.auth(MEMBER)
    created = await system.gateway.post(
        "/v1/communities", json={"name": "Access matrix"}, headers=owner
    )
    cid = created.json()["id"]
    joined = await system.gateway.post(
        f"/v1/communities/{cid}/members",
        json={"user_id": MEMBER, "display_name": "Member"},
        headers=member,
    )
    member_id = joined.json()["id"]

    async def every_service_knows_the_member() -> None:
        for path in (
            f"/v1/communities/{cid}/content",
            f"/v1/communities/{cid}/events",
            f"/v1/communities/{cid}/members/{member_id}/engagement",
        ):
            response = await system.gateway.get(path, headers=member)
            assert response.status_code == 200, response.text

    # The community reaches content, events and scoring through the broker, a moment later.
    await eventually(every_service_knows_the_member, timeout=30)
    content = await system.gateway.post(
        f"/v1/communities/{cid}/content", json=CONTENT, headers=owner
    )
    events = [
        await system.gateway.post(f"/v1/communities/{cid}/events", json=EVENT, headers=owner)
        for _ in range(3)
    ]
    challenge = await system.gateway.post(
        f"/v1/communities/{cid}/challenges", json=CHALLENGE, headers=owner
    )
    answers = [content, *events, challenge]
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    event_id, published_event_id, doomed_event_id = (event.json()["id"] for event in events)
    published = await system.gateway.post(f"/v1/events/{published_event_id}/publish", headers=owner)
    assert published.status_code == 200, published.text
    elsewhere = await system.gateway.post(
        "/v1/communities", json={"name": "Elsewhere"}, headers=system.auth(STRANGER)
    )
    listed = await system.gateway.post(
        "/v1/communities", json={"name": "Open house", "listed": True}, headers=owner
    )
    assert listed.status_code == 201, listed.text
    # Two keys with one scope each, so that every route has one lacking its scope.
    keys = {
        "key-with-scope": await make_key(system, OWNER, cid, sorted(SCOPES)),
        "key-scoring-write": await make_key(system, OWNER, cid, ["scoring:write"]),
        "key-members-read": await make_key(system, OWNER, cid, ["members:read"]),
        "key-elsewhere": await make_key(system, STRANGER, elsewhere.json()["id"], sorted(SCOPES)),
    }
    # A content item and a draft event of the partner's own, for the key rows to walk through
    # their workflows.
    partner = {"X-API-Key": keys["key-with-scope"]}
    key_content = await system.gateway.post(
        f"/v1/communities/{cid}/content", json={**CONTENT, "source": "partner"}, headers=partner
    )
    key_event = await system.gateway.post(
        f"/v1/communities/{cid}/events", json=EVENT, headers=partner
    )
    assert [key_content.status_code, key_event.status_code] == [201, 201], key_content.text
    webhook = await system.gateway.post(
        "/v1/webhooks", json=webhook_request_for(cid), headers=owner
    )
    assert webhook.status_code == 201, webhook.text
    draft_id, series_id = await draft_and_series(system, cid)
    return World(
        cid,
        member_id,
        content.json()["id"],
        event_id,
        published_event_id,
        doomed_event_id,
        challenge.json()["id"],
        keys,
        webhook.json()["id"],
        key_content.json()["id"],
        key_event.json()["id"],
        elsewhere.json()["id"],
        listed.json()["id"],
        draft_id,
        series_id,
    )


async def draft_and_series(system: System, cid: str) -> tuple[str, str]:
    """WRITER joins and writes a draft; the owner starts a series."""
    writer = system.auth(WRITER)
    joined = await system.gateway.post(
        f"/v1/communities/{cid}/members",
        json={"user_id": WRITER, "display_name": "Writer"},
        headers=writer,
    )
    assert joined.status_code == 201, joined.text

    async def drafted() -> str:
        response = await system.gateway.post(
            f"/v1/communities/{cid}/content", json=CONTENT, headers=writer
        )
        assert response.status_code == 201, response.text
        draft_id: str = response.json()["id"]
        return draft_id

    draft_id: str = await eventually(drafted, timeout=30)
    series = await system.gateway.post(
        f"/v1/communities/{cid}/series", json=SERIES, headers=system.auth(OWNER)
    )
    assert series.status_code == 201, series.text
    return draft_id, series.json()["id"]


def webhook_request_for(community_id: str) -> dict[str, Any]:
    return {"url": WEBHOOK_URL, "event_types": ["webhook.ping"], "community_id": community_id}


async def make_key(system: System, user: str, community_id: str, scopes: list[str]) -> str:
    """A key the community's owner makes, once the gateway has learnt they own it."""

    async def made() -> str:
        response = await system.gateway.post(
            "/v1/api-keys",
            json={"name": "partner", "scopes": scopes, "community_ids": [community_id]},
            headers=system.auth(user),
        )
        assert response.status_code == 201, response.text
        key: str = response.json()["key"]
        return key

    result: str = await eventually(made, timeout=30)
    return result


KEY_CALLERS = ("key-without-scope", "key-with-scope", "key-elsewhere")
NO_KEY = ("403", "403", "403")
# Every /v1 route of every service and of the gateway itself, by method and path template,
# answered to: a key of the community lacking the scope the route needs, a key of the community
# with every scope, and a key with every scope for another community. A route
# gateway.partners.scopes does not list is refused to every key (403): keys never create
# communities, join, approve, sanction or remove people, erase personal data, or manage keys
# and webhooks. Paths naming an item (a
# content item, an event, a challenge) rather than its community pass the gateway and are
# refused by the service (404), which admits a partner only to its key's communities. The
# optional last field names the World attribute a parameter takes instead of the default.
KeyRow = tuple[str, str, Body, tuple[str, str, str], dict[str, str]]
KEY_MATRIX: list[KeyRow] = [
    # Members: reads inside the key's community only.
    ("POST", "/v1/communities", lambda w: {"name": "Another"}, NO_KEY, {}),
    ("GET", "/v1/communities", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}", None, ("403", "200", "403"), {}),
    ("PATCH", "/v1/communities/{community_id}", lambda w: {"name": "Renamed"}, NO_KEY, {}),
    (
        "POST",
        "/v1/communities/{community_id}/members",
        lambda w: {"user_id": fresh("u"), "display_name": "New"},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/members", None, ("403", "200", "403"), {}),
    (
        "GET",
        "/v1/communities/{community_id}/members/{member_id}",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "PATCH",
        "/v1/communities/{community_id}/members/{member_id}",
        lambda w: {"display_name": "Renamed by a key"},
        NO_KEY,
        {},
    ),
    ("POST", "/v1/communities/{community_id}/members/{member_id}/approve", None, NO_KEY, {}),
    ("POST", "/v1/communities/{community_id}/members/{member_id}/reject", None, NO_KEY, {}),
    (
        "PUT",
        "/v1/communities/{community_id}/members/{member_id}/role",
        lambda w: {"role": "admin"},
        NO_KEY,
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/members/{member_id}/sanctions",
        lambda w: {"kind": "warn", "reason": "key"},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/members/{member_id}/sanctions", None, NO_KEY, {}),
    ("DELETE", "/v1/communities/{community_id}/members/{member_id}", None, NO_KEY, {}),
    ("GET", "/v1/me/memberships", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/tiers", None, ("403", "200", "403"), {}),
    (
        "POST",
        "/v1/communities/{community_id}/tiers",
        lambda w: {"name": fresh("tier"), "rank": next(TIER_RANKS)},
        NO_KEY,
        {},
    ),
    (
        "PATCH",
        "/v1/communities/{community_id}/tiers/{tier_id}",
        lambda w: {"name": "Renamed"},
        NO_KEY,
        {},
    ),
    ("POST", "/v1/communities/{community_id}/invites", lambda w: {}, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/invites", None, NO_KEY, {}),
    ("DELETE", "/v1/communities/{community_id}/invites/{invite_id}", None, NO_KEY, {}),
    ("DELETE", "/v1/communities/{community_id}/tiers/{tier_id}", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/sanction-ladder", None, ("403", "200", "403"), {}),
    (
        "PUT",
        "/v1/communities/{community_id}/sanction-ladder",
        lambda w: {"warnings_before_mute": 5},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/tier-policy", None, NO_KEY, {}),
    (
        "PUT",
        "/v1/communities/{community_id}/tier-policy",
        lambda w: {"scheduled": False},
        NO_KEY,
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/tier-policy/run",
        lambda w: {"dry_run": True},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/me/communities/{community_id}/standing", None, NO_KEY, {}),
    (
        "POST",
        "/v1/communities/{community_id}/members/{member_id}/tier",
        lambda w: {"tier_id": "tier_nope", "reason": "key"},
        NO_KEY,
        {},
    ),
    # A CRM's key reads the audit of tier moves as it reads members.
    (
        "GET",
        "/v1/communities/{community_id}/members/{member_id}/tier-changes",
        None,
        ("403", "200", "403"),
        {},
    ),
    ("DELETE", "/v1/users/{user_id}/personal-data", None, NO_KEY, {}),
    # Content: the key's own item walks the workflow, row after row.
    (
        "POST",
        "/v1/communities/{community_id}/content",
        lambda w: {**CONTENT, "source": "partner"},
        ("403", "201", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/content", None, ("403", "200", "403"), {}),
    ("GET", "/v1/content/{content_id}", None, ("403", "200", "404"), {}),
    # The world's item is archived by now: only drafts and rejected items are deleted.
    ("DELETE", "/v1/content/{content_id}", None, ("403", "409", "404"), {}),
    ("GET", "/v1/communities/{community_id}/series", None, ("403", "200", "403"), {}),
    ("GET", "/v1/series/{series_id}", None, ("403", "404", "404"), {}),
    ("POST", "/v1/series/{series_id}/pause", None, ("403", "404", "404"), {}),
    ("POST", "/v1/series/{series_id}/resume", None, ("403", "404", "404"), {}),
    ("DELETE", "/v1/series/{series_id}", None, ("403", "404", "404"), {}),
    (
        "PATCH",
        "/v1/content/{content_id}",
        lambda w: {"title": "Edited by a key"},
        ("403", "200", "404"),
        {"content_id": "key_content_id"},
    ),
    (
        "POST",
        "/v1/content/{content_id}/submit",
        None,
        ("403", "200", "404"),
        {"content_id": "key_content_id"},
    ),
    (
        "POST",
        "/v1/content/{content_id}/approve",
        None,
        ("403", "200", "404"),
        {"content_id": "key_content_id"},
    ),
    (
        "POST",
        "/v1/content/{content_id}/schedule",
        None,
        ("403", "200", "404"),
        {"content_id": "key_content_id"},
    ),
    (
        "POST",
        "/v1/content/{content_id}/publish",
        None,
        ("403", "200", "404"),
        {"content_id": "key_content_id"},
    ),
    (
        "POST",
        "/v1/content/{content_id}/archive",
        None,
        ("403", "200", "404"),
        {"content_id": "key_content_id"},
    ),
    # Too late to reject an archived item: the key got past authorization.
    (
        "POST",
        "/v1/content/{content_id}/reject",
        None,
        ("403", "409", "404"),
        {"content_id": "key_content_id"},
    ),
    # A partner may not vote in a member's name.
    (
        "POST",
        "/v1/content/{content_id}/votes",
        lambda w: {"member_id": w.member_id, "option": "A"},
        ("403", "403", "404"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/calendar", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/publishing-rules", None, ("403", "200", "403"), {}),
    (
        "PUT",
        "/v1/communities/{community_id}/publishing-rules",
        lambda w: {},
        ("403", "200", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/screening", None, ("403", "200", "403"), {}),
    ("PUT", "/v1/communities/{community_id}/screening", lambda w: {}, ("403", "200", "403"), {}),
    (
        "POST",
        "/v1/communities/{community_id}/urgent-announcements",
        lambda w: URGENT,
        ("403", "201", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/series",
        lambda w: SERIES,
        ("403", "201", "403"),
        {},
    ),
    # Events: the key's own draft event is published, run and finally cancelled.
    (
        "POST",
        "/v1/communities/{community_id}/events",
        lambda w: EVENT,
        ("403", "201", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/events", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/events.ics", None, ("403", "200", "403"), {}),
    ("POST", "/v1/communities/{community_id}/calendar-feed", None, ("403", "201", "403"), {}),
    ("GET", "/v1/communities/{community_id}/calendar-feed", None, ("403", "200", "403"), {}),
    ("DELETE", "/v1/communities/{community_id}/calendar-feed", None, ("403", "204", "403"), {}),
    # Public: no key's scope decides it.
    ("GET", "/v1/calendar-feeds/{feed}", None, ("404", "404", "404"), {}),
    ("GET", "/v1/events/{event_id}", None, ("403", "200", "404"), {}),
    (
        "PATCH",
        "/v1/events/{event_id}",
        lambda w: {"title": "Edited by a key"},
        ("403", "200", "404"),
        {"event_id": "key_event_id"},
    ),
    (
        "POST",
        "/v1/events/{event_id}/publish",
        None,
        ("403", "200", "404"),
        {"event_id": "key_event_id"},
    ),
    (
        "POST",
        "/v1/events/{event_id}/registrations",
        lambda w: {"member_id": w.member_id},
        ("403", "201", "404"),
        {"event_id": "key_event_id"},
    ),
    (
        "GET",
        "/v1/events/{event_id}/registrations",
        None,
        ("403", "200", "404"),
        {"event_id": "key_event_id"},
    ),
    (
        "POST",
        "/v1/events/{event_id}/registrations/{registration_id}/confirm",
        None,
        ("403", "404", "404"),
        {},
    ),
    (
        "DELETE",
        "/v1/events/{event_id}/registrations/{registration_id}",
        None,
        ("403", "404", "404"),
        {},
    ),
    # The event starts in a week: check-in is not open yet.
    (
        "POST",
        "/v1/events/{event_id}/check-ins",
        lambda w: {"member_id": w.member_id, "code": "000000"},
        ("403", "409", "404"),
        {},
    ),
    (
        "POST",
        "/v1/events/{event_id}/feedback",
        lambda w: {"member_id": w.member_id, "rating": 5},
        ("403", "403", "404"),
        {},
    ),
    ("GET", "/v1/events/{event_id}/report", None, ("403", "200", "404"), {}),
    (
        "POST",
        "/v1/events/{event_id}/lottery/commit",
        lambda w: LOTTERY,
        ("403", "201", "404"),
        {"event_id": "key_event_id"},
    ),
    ("POST", "/v1/events/{event_id}/lottery/{lottery_id}/draw", None, ("403", "404", "404"), {}),
    ("GET", "/v1/events/{event_id}/lottery", None, ("403", "200", "404"), {}),
    ("GET", "/v1/events/{event_id}/lottery/{lottery_id}", None, ("403", "404", "404"), {}),
    ("GET", "/v1/events/{event_id}/check-in-code", None, ("403", "200", "404"), {}),
    ("GET", "/v1/events/{event_id}/feedback", None, ("403", "200", "404"), {}),
    (
        "POST",
        "/v1/events/{event_id}/lottery",
        lambda w: LOTTERY,
        ("403", "201", "404"),
        {"event_id": "key_event_id"},
    ),
    (
        "POST",
        "/v1/events/{event_id}/cancel",
        lambda w: {"reason": "key"},
        ("403", "200", "404"),
        {"event_id": "key_event_id"},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/challenges",
        lambda w: CHALLENGE,
        ("403", "201", "403"),
        {},
    ),
    (
        "POST",
        "/v1/challenges/{challenge_id}/check-ins",
        lambda w: {"member_id": w.member_id, "date": "2999-01-01"},
        ("403", "409", "404"),
        {},
    ),
    ("GET", "/v1/challenges/{challenge_id}/streaks", None, ("403", "200", "404"), {}),
    ("GET", "/v1/communities/{community_id}/challenges", None, ("403", "200", "403"), {}),
    ("GET", "/v1/challenges/{challenge_id}", None, ("403", "200", "404"), {}),
    # Scoring.
    ("POST", "/v1/activities", activity, ("403", "202", "403"), {}),
    ("GET", "/v1/communities/{community_id}/leaderboard", None, ("403", "200", "403"), {}),
    (
        "GET",
        "/v1/communities/{community_id}/members/{member_id}/engagement",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/members/{member_id}/points",
        lambda w: {"delta": 5, "reason": "partner"},
        ("403", "200", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/scoring-rules", None, ("403", "200", "403"), {}),
    (
        "PUT",
        "/v1/communities/{community_id}/scoring-rules",
        lambda w: {"half_life_days": 14},
        ("403", "200", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/segments/{segment}/members",
        None,
        ("403", "200", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/kols", None, ("403", "200", "403"), {}),
    # Rules (issue 23): a key reads them (members:read) but neither publishes nor acknowledges
    # (it is nobody); the onboarding checklist is scoring's (scoring:read, scoring:write).
    (
        "POST",
        "/v1/communities/{community_id}/rules/versions",
        lambda w: {"title": "群规", "body": "友善"},
        NO_KEY,
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/rules/versions",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/rules/versions/{version}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/rules/acknowledgements",
        lambda w: {"version": 1},
        NO_KEY,
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/rules/acknowledgements",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/rules/pending-acknowledgements",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/onboarding/checklist",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "PUT",
        "/v1/communities/{community_id}/onboarding/checklist",
        lambda w: {"steps": ["acknowledge_rules"]},
        ("403", "200", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/onboarding/progress",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/members/{member_id}/onboarding",
        None,
        ("403", "200", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/metrics", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/health", None, ("403", "200", "403"), {}),
    (
        "GET",
        "/v1/communities/{community_id}/warning-thresholds",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "PUT",
        "/v1/communities/{community_id}/warning-thresholds",
        lambda w: {"thresholds": {}},
        ("403", "200", "403"),
        {},
    ),
    # Moderation: a chat bot's key checks messages (scope moderation:check); nothing else of
    # moderation is a key's.
    ("GET", "/v1/communities/{community_id}/moderation/rules", None, NO_KEY, {}),
    ("PUT", "/v1/communities/{community_id}/moderation/rules", lambda w: {}, NO_KEY, {}),
    (
        "POST",
        "/v1/communities/{community_id}/moderation/check",
        chat_message,
        ("403", "200", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/reports",
        lambda w: {"target": {"type": "content", "id": "c"}, "kind": "other", "reason": "key"},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/cases", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/cases/{case_id}", None, NO_KEY, {}),
    ("POST", "/v1/communities/{community_id}/cases/{case_id}/assign", lambda w: {}, NO_KEY, {}),
    (
        "POST",
        "/v1/communities/{community_id}/cases/{case_id}/comments",
        lambda w: {"text": "key"},
        NO_KEY,
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/cases/{case_id}/resolve",
        lambda w: {"resolution": "dismiss"},
        NO_KEY,
        {},
    ),
    ("POST", "/v1/communities/{community_id}/lockdown", lockdown, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/lockdown", None, NO_KEY, {}),
    ("DELETE", "/v1/communities/{community_id}/lockdown", None, NO_KEY, {}),
    (
        "POST",
        "/v1/communities/{community_id}/incidents",
        lambda w: {"kind": "attack", "severity": "low", "summary": "key"},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/incidents", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/incidents/{incident_id}", None, NO_KEY, {}),
    (
        "PATCH",
        "/v1/communities/{community_id}/incidents/{incident_id}",
        lambda w: {"severity": "low"},
        NO_KEY,
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/incidents/{incident_id}/entries",
        lambda w: {"text": "key"},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/incident-policy", None, NO_KEY, {}),
    (
        "PUT",
        "/v1/communities/{community_id}/incident-policy",
        lambda w: {"auto_open_at": None},
        NO_KEY,
        {},
    ),
    # The member journey: a key reads the welcome and the questions as it reads members; the
    # answers and exit reasons (personal) are no key's, nor is any change.
    ("GET", "/v1/communities/{community_id}/welcome", None, ("403", "200", "403"), {}),
    ("PUT", "/v1/communities/{community_id}/welcome", lambda w: {"template": "{name}"}, NO_KEY, {}),
    ("DELETE", "/v1/communities/{community_id}/welcome", None, NO_KEY, {}),
    (
        "PUT",
        "/v1/communities/{community_id}/tiers/{tier_id}/welcome",
        lambda w: {"template": "{name}"},
        NO_KEY,
        {},
    ),
    ("DELETE", "/v1/communities/{community_id}/tiers/{tier_id}/welcome", None, NO_KEY, {}),
    (
        "GET",
        "/v1/communities/{community_id}/application-questions",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "PUT",
        "/v1/communities/{community_id}/application-questions",
        lambda w: {"questions": []},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/applications", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/members/{member_id}/application", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/exit-reasons", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/playbooks/{kind}", None, NO_KEY, {}),
    (
        "PUT",
        "/v1/communities/{community_id}/playbooks/{kind}",
        lambda w: {"items": ["key"]},
        NO_KEY,
        {},
    ),
    ("POST", "/v1/communities/{community_id}/surveys", survey_request, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/surveys", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/surveys/{survey_id}", None, NO_KEY, {}),
    ("POST", "/v1/communities/{community_id}/surveys/{survey_id}/close", None, NO_KEY, {}),
    (
        "POST",
        "/v1/communities/{community_id}/surveys/{survey_id}/responses",
        lambda w: {"answers": {"q1": 9}},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/surveys/{survey_id}/responses", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/surveys/{survey_id}/results", None, NO_KEY, {}),
    (
        "GET",
        "/v1/communities/{community_id}/surveys/{survey_id}/questions/{question_id}/texts",
        None,
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/surveys/{survey_id}/export", None, NO_KEY, {}),
    ("GET", "/v1/communities/{community_id}/survey-settings", None, NO_KEY, {}),
    (
        "PUT",
        "/v1/communities/{community_id}/survey-settings",
        lambda w: {"monthly_nps": False},
        NO_KEY,
        {},
    ),
    ("GET", "/v1/communities/{community_id}/metrics/nps", None, NO_KEY, {}),
    # Goals and reports: a key with scoring's scopes reads and sets them like an operator.
    (
        "POST",
        "/v1/communities/{community_id}/goals",
        lambda w: {**GOAL, "period": "2027-Q2"},
        ("403", "201", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/goals", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/goals/{goal_id}", None, ("403", "404", "403"), {}),
    (
        "PATCH",
        "/v1/communities/{community_id}/goals/{goal_id}",
        lambda w: {"target": 1},
        ("403", "404", "403"),
        {},
    ),
    ("DELETE", "/v1/communities/{community_id}/goals/{goal_id}", None, ("403", "404", "403"), {}),
    ("GET", "/v1/communities/{community_id}/content-ranking", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/event-comparison", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/periodic-reports", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/reports/{period}", None, ("403", "422", "403"), {}),
    (
        "POST",
        "/v1/communities/{community_id}/reports/{period}/rebuild",
        None,
        ("403", "422", "403"),
        {},
    ),
    ("POST", "/v1/communities/{community_id}/rewards", lambda w: REWARD, ("403", "201", "403"), {}),
    ("GET", "/v1/communities/{community_id}/rewards", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/rewards/{reward_id}", None, ("403", "404", "403"), {}),
    (
        "PATCH",
        "/v1/communities/{community_id}/rewards/{reward_id}",
        lambda w: {"stock": 1},
        ("403", "404", "403"),
        {},
    ),
    (
        "DELETE",
        "/v1/communities/{community_id}/rewards/{reward_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    # A key redeems for a member it names (it has no points of its own).
    (
        "POST",
        "/v1/communities/{community_id}/rewards/{reward_id}/redemptions",
        lambda w: {"member_id": w.member_id},
        ("403", "404", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/redemptions/{redemption_id}/cancel",
        lambda w: {"reason": "key"},
        ("403", "404", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/members/{member_id}/redemptions",
        None,
        ("403", "200", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/badges",
        lambda w: {"name": "Partner badge"},
        ("403", "201", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/badges", None, ("403", "200", "403"), {}),
    (
        "PUT",
        "/v1/communities/{community_id}/members/{member_id}/badges/{badge_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "DELETE",
        "/v1/communities/{community_id}/members/{member_id}/badges/{badge_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    # A key belongs to no community: it reads the suggestion box and decides, but posts
    # nothing of a member's.
    (
        "POST",
        "/v1/communities/{community_id}/suggestions",
        lambda w: SUGGESTION,
        ("403", "403", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/suggestions", None, ("403", "200", "403"), {}),
    (
        "GET",
        "/v1/communities/{community_id}/suggestions/{suggestion_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "PATCH",
        "/v1/communities/{community_id}/suggestions/{suggestion_id}",
        lambda w: {"title": "key"},
        ("403", "404", "403"),
        {},
    ),
    (
        "DELETE",
        "/v1/communities/{community_id}/suggestions/{suggestion_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "PUT",
        "/v1/communities/{community_id}/suggestions/{suggestion_id}/vote",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "DELETE",
        "/v1/communities/{community_id}/suggestions/{suggestion_id}/vote",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "PUT",
        "/v1/communities/{community_id}/suggestions/{suggestion_id}/status",
        lambda w: {"status": "done", "reply": "key"},
        ("403", "404", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/nudge-campaigns",
        lambda w: NUDGE,
        ("403", "201", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/nudge-campaigns", None, ("403", "200", "403"), {}),
    (
        "GET",
        "/v1/communities/{community_id}/nudge-campaigns/{campaign_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "DELETE",
        "/v1/communities/{community_id}/nudge-campaigns/{campaign_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/nudge-campaigns/{campaign_id}/run",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/nudge-campaigns/{campaign_id}/report",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/nudge-campaigns/{campaign_id}/recipients",
        None,
        ("403", "404", "403"),
        {},
    ),
    # Issue 24's coupon batches, badge rules, levels and community lotteries: scoring's scopes.
    (
        "POST",
        "/v1/communities/{community_id}/rewards/{reward_id}/coupon-batches",
        lambda w: {"generate": 1},
        ("403", "404", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/rewards/{reward_id}/coupon-batches",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/rewards/{reward_id}/coupon-batches/{batch_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/badges/{badge_id}/bulk-awards",
        lambda w: {"event_id": w.published_event_id},
        ("403", "404", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/badges/{badge_id}/rules",
        lambda w: {"rule": {"kind": "level", "level": 2}},
        ("403", "404", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/badges/{badge_id}/rules",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/badges/{badge_id}/rules/{rule_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "DELETE",
        "/v1/communities/{community_id}/badges/{badge_id}/rules/{rule_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/levels", None, ("403", "200", "403"), {}),
    ("GET", "/v1/communities/{community_id}/levels/{level}", None, ("403", "200", "403"), {}),
    (
        "PUT",
        "/v1/communities/{community_id}/levels/{level}/benefits",
        lambda w: {"benefits": [{"title": "Partner perk"}]},
        ("403", "200", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/lotteries",
        lambda w: COMMUNITY_LOTTERY,
        ("403", "201", "403"),
        {},
    ),
    ("GET", "/v1/communities/{community_id}/lotteries", None, ("403", "200", "403"), {}),
    (
        "GET",
        "/v1/communities/{community_id}/lotteries/{lottery_id}",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "POST",
        "/v1/communities/{community_id}/lotteries/{lottery_id}/draw",
        None,
        ("403", "404", "403"),
        {},
    ),
    (
        "PUT",
        "/v1/communities/{community_id}/tiers/{tier_id}/benefits",
        lambda w: {"benefits": []},
        NO_KEY,
        {},
    ),
    (
        "GET",
        "/v1/communities/{community_id}/tiers/{tier_id}/benefits",
        None,
        ("403", "404", "403"),
        {},
    ),
    # The gateway's own: the catalogue is for partners too; keys and webhooks are people's.
    ("GET", "/v1/event-types", None, ("200", "200", "200"), {}),
    ("POST", "/v1/api-keys", key_request, NO_KEY, {}),
    ("GET", "/v1/api-keys", None, NO_KEY, {}),
    ("DELETE", "/v1/api-keys/{key_id}", None, NO_KEY, {}),
    ("POST", "/v1/webhooks", webhook_request, NO_KEY, {}),
    ("GET", "/v1/webhooks", None, NO_KEY, {}),
    ("GET", "/v1/webhooks/{webhook_id}", None, NO_KEY, {}),
    ("PATCH", "/v1/webhooks/{webhook_id}", lambda w: {"url": WEBHOOK_URL}, NO_KEY, {}),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries", None, NO_KEY, {}),
    (
        "POST",
        "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        None,
        NO_KEY,
        {},
    ),
    ("POST", "/v1/webhooks/{webhook_id}/redeliver", lambda w: {"since": _SINCE}, NO_KEY, {}),
    ("POST", "/v1/webhooks/{webhook_id}/ping", None, NO_KEY, {}),
    ("DELETE", "/v1/webhooks/{webhook_id}", None, NO_KEY, {}),
]
KEY_CASES = [
    pytest.param(method, path, body, caller, expected, ids, id=f"{method} {path} as {caller}")
    for method, path, body, answers, ids in KEY_MATRIX
    for caller, expected in zip(KEY_CALLERS, answers, strict=True)
]
# What a parameter stands for when a row names no World attribute: the world's own items, or an
# id nothing has (a key is refused before it would matter).
DEFAULT_IDS = {
    "community_id": "community_id",
    "member_id": "member_id",
    "content_id": "content_id",
    "event_id": "published_event_id",
    "challenge_id": "challenge_id",
    "webhook_id": "webhook_id",
}
UNKNOWN_IDS = {
    "user_id": "mx-erasable",
    "tier_id": "tier_nope",
    "registration_id": "reg_nope",
    "lottery_id": "lot_nope",
    "key_id": "key_nope",
    "delivery_id": "dlv_nope",
    "feed": "nope.ics",
    "reward_id": "rwd_nope",
    "redemption_id": "rdm_nope",
    "badge_id": "bdg_nope",
    "batch_id": "cpb_nope",
    "rule_id": "bdr_nope",
    "level": "3",
    "invite_id": "inv_nope",
    # The people's rows delete the world's series before the keys' rows run.
    "series_id": "ser_nope",
    "case_id": "case_nope",
    "incident_id": "inc_nope",
    "goal_id": "goal_nope",
    "period": "2001-01",
    "survey_id": "srv_nope",
    "question_id": "q1",
    "suggestion_id": "sug_nope",
    "campaign_id": "ncp_nope",
    "kind": "attack",
    "segment": "core",  # not an id: a segment every community has
    "version": "999",  # a rules version nobody published
}


def served_routes() -> set[tuple[str, str]]:
    """Every (method, path template) under /v1 that a service or the gateway itself serves."""
    served: set[tuple[str, str]] = set()
    for service in SERVICES:
        settings = service.load_settings_class()(environment="test")
        document = service.load_app_factory()(settings).openapi()
        for template, operations in document["paths"].items():
            if template.startswith("/v1/"):
                served |= {(method.upper(), template) for method in operations}
    for router in (partners_router, webhooks_router):
        for route in router.routes:
            if isinstance(route, APIRoute):
                served |= {(method, f"/v1{route.path}") for method in route.methods or ()}
    return served


def test_every_route_has_a_row_for_keys() -> None:
    rows = [(method, template) for method, template, *_ in KEY_MATRIX]
    assert len(rows) == len(set(rows)), "a route has two rows for keys"
    served = served_routes()
    templates = {template for _, template in served}
    assert templates >= {t for paths in PATHS.values() for t in paths} | set(LOCAL_PATHS)
    assert sorted(served - set(rows)) == [], "routes with no row in KEY_MATRIX"
    assert sorted(set(rows) - served) == [], "rows in KEY_MATRIX for routes nobody serves"


def test_every_route_has_a_row_for_people() -> None:
    served = served_routes()
    covered: set[tuple[str, str]] = set()
    for method, path, *_ in MATRIX:
        # A row's placeholders ({cid}, {published_event_id}) and literal ids (reg_nope) alike
        # stand for one path segment.
        url = re.sub(r"\{[^/{}]+\}", "x", path.partition("?")[0])
        matched = {
            (method, template)
            for served_method, template in served
            if served_method == method and re.fullmatch(template_pattern(template), url)
        }
        assert matched, f"{method} {path} is served by nobody"
        covered |= matched
    assert sorted(served - covered) == [], "routes with no row in MATRIX"


def outcome(response: httpx.Response) -> str:
    if response.status_code == 202 and "rejected" in response.json():
        rejected, pending = response.json()["rejected"], response.json()["pending"]
        if pending:
            return "202:pending:" + pending[0]["reason"]
        return "202:" + rejected[0]["reason"] if rejected else "202"
    return str(response.status_code)


@pytest.mark.parametrize(("method", "path", "body", "caller", "expected"), CASES)
async def test_each_route_answers_each_kind_of_caller_as_expected(
    system: System,
    world: World,
    method: str,
    path: str,
    body: Body,
    caller: str,
    expected: str,
) -> None:
    url = path.format(
        cid=world.community_id,
        mid=world.member_id,
        content_id=world.content_id,
        event_id=world.event_id,
        published_event_id=world.published_event_id,
        doomed_event_id=world.doomed_event_id,
        challenge_id=world.challenge_id,
        webhook_id=world.webhook_id,
        listed_cid=world.listed_id,
        draft_id=world.draft_id,
        series_id=world.series_id,
    )
    headers = system.auth(USERS[caller]) if caller != "anonymous" else {}
    response = await system.gateway.request(
        method, url, json=body(world) if body else None, headers=headers
    )
    assert outcome(response) == expected, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if expected == "404":
        # A stranger learns nothing: the answer is the one for a community (or a content item,
        # an event) that does not exist.
        assert response.json()["type"].endswith("-not-found")


def key_for(world: World, caller: str, method: str, url: str) -> str:
    """The key a caller stands for; "without the scope" picks a key of the community lacking
    the one this route needs."""
    if caller != "key-without-scope":
        return world.keys[caller]
    need = scope_needed(method, url)
    lacking = "key-scoring-write" if need and need.scope == "members:read" else "key-members-read"
    return world.keys[lacking]


@pytest.mark.parametrize(("method", "path", "body", "caller", "expected", "ids"), KEY_CASES)
async def test_each_route_answers_each_kind_of_key_as_expected(
    system: System,
    world: World,
    method: str,
    path: str,
    body: Body,
    caller: str,
    expected: str,
    ids: dict[str, str],
) -> None:
    values = {name: getattr(world, attribute) for name, attribute in DEFAULT_IDS.items()}
    values |= UNKNOWN_IDS | {name: getattr(world, attribute) for name, attribute in ids.items()}
    url = path.format(**values)
    key = key_for(world, caller, method, url)
    response = await system.gateway.request(
        method, url, json=body(world) if body else None, headers={"X-API-Key": key}
    )
    assert outcome(response) == expected, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json().get("type", "") if response.status_code >= 400 else ""
    if expected == "404":
        # Another community's item, to a key, is one that does not exist.
        assert problem.endswith("-not-found"), response.text
    if caller == "key-elsewhere" and expected == "403":
        assert problem.endswith(("community-not-covered", "not-for-api-keys", "people-only"))
    if scope_needed(method, url) is None and expected == "403":
        # Refused by the gateway for being a key, whatever the key.
        assert problem.endswith(("not-for-api-keys", "people-only")), response.text
    elif caller == "key-without-scope" and expected == "403":
        assert problem.endswith("scope-required"), response.text


async def test_a_key_reaches_no_member_of_another_community_through_its_own(
    system: System, world: World
) -> None:
    listed = await system.gateway.get(
        f"/v1/communities/{world.elsewhere_id}/members", headers=system.auth(STRANGER)
    )
    assert listed.status_code == 200, listed.text
    theirs = listed.json()["items"][0]["id"]
    key = {"X-API-Key": world.keys["key-with-scope"]}
    ours = f"/v1/communities/{world.community_id}/members/{theirs}"
    asked = [
        await system.gateway.get(ours, headers=key),
        await system.gateway.get(f"{ours}/engagement", headers=key),
        await system.gateway.post(f"{ours}/points", json={"delta": 5, "reason": "x"}, headers=key),
        await system.gateway.post(
            f"/v1/events/{world.published_event_id}/registrations",
            json={"member_id": theirs},
            headers=key,
        ),
    ]
    assert [answer.status_code for answer in asked] == [404] * 4, [a.text for a in asked]
    pushed = await system.gateway.post(
        "/v1/activities",
        json=[{**activity(world)[0], "member_id": theirs}],
        headers=key,
    )
    assert pushed.status_code == 202, pushed.text
    assert pushed.json()["accepted"] == 0, pushed.text


async def test_a_partner_pushes_activities_and_reads_members_with_one_key(
    system: System, world: World
) -> None:
    key = {"X-API-Key": world.keys["key-with-scope"]}
    batch = activity(world) + activity(world)
    pushed = await system.gateway.post(
        "/v1/activities", json=batch, headers={**key, "Idempotency-Key": fresh("idem")}
    )
    assert pushed.status_code == 202, pushed.text
    assert pushed.json()["accepted"] == 2
    members = await system.gateway.get(f"/v1/communities/{world.community_id}/members", headers=key)
    assert members.status_code == 200, members.text
    assert world.member_id in {item["id"] for item in members.json()["items"]}

    async def counted() -> None:
        engagement = await system.gateway.get(
            f"/v1/communities/{world.community_id}/members/{world.member_id}/engagement",
            headers=key,
        )
        assert engagement.status_code == 200, engagement.text
        assert engagement.json()["activity_count"] >= 2, engagement.text

    await eventually(counted, timeout=30)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Actor-Id": OWNER}, id="bare-actor-id"),
        pytest.param(
            {"X-Actor-Id": STRANGER, "X-Actor-Roles": "platform_admin"}, id="forged-admin"
        ),
        pytest.param(
            signed_actor_headers("not-the-internal-secret", actor_id=OWNER), id="wrong-secret"
        ),
    ],
)
async def test_a_service_reached_directly_believes_no_unsigned_identity(
    system: System, world: World, headers: dict[str, str]
) -> None:
    members_url = system.stack.url("members")
    async with httpx.AsyncClient(base_url=members_url) as direct:
        path = f"/v1/communities/{world.community_id}/members"
        refused = await direct.get(path, headers=headers)
        assert refused.status_code == 401, refused.text
        signed = signed_actor_headers(INTERNAL_SECRET, actor_id=OWNER)
        assert (await direct.get(path, headers=signed)).status_code == 200


async def test_a_plain_member_sees_no_other_user_ids_nor_others_drafts(
    system: System, world: World
) -> None:
    cid, member, owner = world.community_id, system.auth(MEMBER), system.auth(OWNER)
    members = f"/v1/communities/{cid}/members"
    seen = {
        item["id"]: item["user_id"]
        for item in (await system.gateway.get(members, headers=member)).json()["items"]
    }
    assert seen.pop(world.member_id) == MEMBER
    assert set(seen.values()) == {None}
    by_owner = (await system.gateway.get(members, headers=owner)).json()["items"]
    assert {OWNER, MEMBER, WRITER} <= {item["user_id"] for item in by_owner}
    # The rows above left drafts of the member's and of the owner's: each sees their own, the
    # owner (an editor) the member's too.
    content = f"/v1/communities/{cid}/content"
    drafts = {"status": "draft", "limit": 200}
    mine = (await system.gateway.get(content, params=drafts, headers=member)).json()["items"]
    assert mine, "the member's own draft is theirs to list"
    assert {item["author_member_id"] for item in mine} == {world.member_id}
    every = (await system.gateway.get(content, params=drafts, headers=owner)).json()["items"]
    assert {item["author_member_id"] for item in every} > {world.member_id}


STRANGER_PROBES = [
    pytest.param(method, path, body, id=f"{method} {path}")
    for method, path, body, answers in MATRIX
    if "{cid}" in path and answers[1] == "404"
]


@pytest.mark.parametrize(("method", "path", "body"), STRANGER_PROBES)
async def test_a_stranger_cannot_tell_a_community_from_none(
    system: System, world: World, method: str, path: str, body: Body
) -> None:
    def ask(community_id: str) -> str:
        return path.format(cid=community_id, mid=world.member_id)

    answers = [
        await system.gateway.request(
            method, ask(cid), json=body(world) if body else None, headers=system.auth(STRANGER)
        )
        for cid in (world.community_id, "cmty_0000000000000000000000")
    ]
    real, missing = (answer.json() for answer in answers)
    assert [answer.status_code for answer in answers] == [404, 404]
    assert real["type"] == missing["type"]
    assert real["detail"].replace(world.community_id, "?") == missing["detail"].replace(
        "cmty_0000000000000000000000", "?"
    )


async def test_the_list_holds_the_callers_communities_and_the_listed_ones(
    system: System, world: World
) -> None:
    async def listing(user: str) -> dict[str, dict[str, Any]]:
        response = await system.gateway.get(
            "/v1/communities", params={"limit": 100}, headers=system.auth(user)
        )
        assert response.status_code == 200, response.text
        return {item["id"]: item for item in response.json()["items"]}

    stranger = await listing(STRANGER)
    assert world.community_id not in stranger  # not theirs, not listed
    assert world.elsewhere_id in stranger  # their own
    assert stranger[world.listed_id]["owner_user_id"] is None  # listed: found, owner withheld
    member = await listing(MEMBER)
    assert member[world.community_id]["owner_user_id"] == OWNER
    assert world.elsewhere_id not in member
    read = await system.gateway.get(
        f"/v1/communities/{world.listed_id}", headers=system.auth(STRANGER)
    )
    assert read.status_code == 200 and read.json()["owner_user_id"] is None
