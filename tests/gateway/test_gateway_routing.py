"""Each /v1 path family reaches the service that owns it, unchanged, with its query and body."""

import json
import re
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi.routing import APIRoute

from gateway.app import create_app
from gateway.identity.auth import ActorSigner
from gateway.partners.routes import router as partners_router
from gateway.proxy.routing import LOCAL_PATHS, PATHS, has_dot_segment, is_local, upstream_for
from gateway.proxy.upstream import UpstreamProxy
from gateway.settings import GatewaySettings
from gateway.webhooks.routes import router as webhooks_router
from services.common.components import SERVICES, Component
from tests.gateway.fakes import bearer, gateway_settings
from tests.support import assert_problem, running_service

ROUTED = [
    ("POST", "/v1/activities", "scoring"),
    ("GET", "/v1/communities/c1/leaderboard", "scoring"),
    ("GET", "/v1/communities/c1/members/m1/engagement", "scoring"),
    ("POST", "/v1/communities/c1/members/m1/points", "scoring"),
    ("PUT", "/v1/communities/c1/scoring-rules", "scoring"),
    ("GET", "/v1/communities/c1/metrics", "scoring"),
    ("GET", "/v1/communities/c1/health", "scoring"),
    ("POST", "/v1/communities/c1/content", "content"),
    ("GET", "/v1/communities/c1/calendar", "content"),
    ("PUT", "/v1/communities/c1/publishing-rules", "content"),
    ("POST", "/v1/communities/c1/series", "content"),
    ("PATCH", "/v1/content/k1", "content"),
    ("POST", "/v1/content/k1/submit", "content"),
    ("POST", "/v1/content/k1/publish", "content"),
    ("POST", "/v1/communities/c1/events", "events"),
    ("GET", "/v1/communities/c1/events.ics", "events"),
    ("POST", "/v1/communities/c1/calendar-feed", "events"),
    ("POST", "/v1/communities/c1/challenges", "events"),
    ("GET", "/v1/events/e1", "events"),
    ("POST", "/v1/events/e1/registrations", "events"),
    ("DELETE", "/v1/events/e1/registrations/r1", "events"),
    ("POST", "/v1/events/e1/lottery/commit", "events"),
    ("POST", "/v1/events/e1/lottery/l1/draw", "events"),
    ("POST", "/v1/challenges/h1/check-ins", "events"),
    ("GET", "/v1/challenges/h1/streaks", "events"),
    ("POST", "/v1/communities", "members"),
    ("GET", "/v1/communities/c1", "members"),
    ("PATCH", "/v1/communities/c1", "members"),
    ("POST", "/v1/communities/c1/tiers", "members"),
    ("PUT", "/v1/communities/c1/tier-policy", "members"),
    ("POST", "/v1/communities/c1/tier-policy/run", "members"),
    ("GET", "/v1/communities/c1/members", "members"),
    ("GET", "/v1/communities/c1/members/m1", "members"),
    ("POST", "/v1/communities/c1/members/m1/approve", "members"),
    ("PUT", "/v1/communities/c1/members/m1/role", "members"),
    ("POST", "/v1/communities/c1/members/m1/sanctions", "members"),
    ("DELETE", "/v1/users/u1/personal-data", "members"),
]


@pytest.mark.parametrize(("method", "path", "service"), ROUTED)
async def test_each_path_family_reaches_its_service(
    gateway: httpx.AsyncClient, method: str, path: str, service: str
) -> None:
    body = b'{"hello": "\xe4\xb8\x96\xe7\x95\x8c"}' if method in {"POST", "PUT", "PATCH"} else b""
    response = await gateway.request(
        method, f"{path}?limit=5&tag=a%20b", content=body, headers=bearer()
    )
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert echoed["service"] == service
    assert echoed["method"] == method
    assert echoed["path"] == path
    assert echoed["query"] == "limit=5&tag=a%20b"
    assert echoed["body"] == body.decode()


async def test_a_secret_calendar_address_is_read_without_credentials(
    gateway: httpx.AsyncClient,
) -> None:
    path = "/v1/calendar-feeds/s3cret-token.ics"
    anonymous = await gateway.get(path, headers={"Authorization": "Bearer not-even-a-jwt"})
    assert anonymous.status_code == 200, anonymous.text
    echoed = anonymous.json()
    assert (echoed["service"], echoed["path"]) == ("events", path)
    # Forwarded as nobody: no signed identity, whoever sent what.
    assert not [name for name, _ in echoed["headers"] if name.startswith("x-actor")]
    signed_in = (await gateway.get(path, headers=bearer())).json()
    assert not [name for name, _ in signed_in["headers"] if name.startswith("x-actor")]
    # Only reading it is public; the address's management is not.
    assert_problem(await gateway.post(path, json={}), 401)
    assert_problem(await gateway.get("/v1/communities/c1/calendar-feed"), 401)


async def test_percent_encoded_paths_are_forwarded_as_sent(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/communities/%E8%AF%BB%20%E4%B9%A6/members", headers=bearer())
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert echoed["service"] == "members"
    assert echoed["raw_path"] == "/v1/communities/%E8%AF%BB%20%E4%B9%A6/members"
    assert echoed["path"] == "/v1/communities/读 书/members"


async def test_upstream_headers_status_and_cookies_are_relayed(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/communities/c1", headers=bearer())
    assert response.headers["x-upstream"] == "members"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
    assert response.headers.get_list("set-cookie") == [
        "a=1; Path=/; SameSite=lax",
        "b=2; Path=/; SameSite=lax",
    ]
    assert int(response.headers["content-length"]) == len(response.content)

    missing = await gateway.get("/v1/communities/c1?fake=missing", headers=bearer())
    assert_problem(missing, 404)
    assert missing.json()["detail"] == "no such thing"

    empty = await gateway.delete("/v1/communities/c1/members/m1?fake=empty", headers=bearer())
    assert empty.status_code == 204
    assert empty.content == b""


async def test_a_redirect_never_names_a_service_address(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/communities/c1?fake=moved", headers=bearer())
    assert response.status_code == 307
    # The fake answered with its own http://127.0.0.1:<port>/… address.
    assert response.headers["location"] == "/v1/elsewhere?page=2"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/nothing",
        "/v1/api-keys/k1/secret",
        "/v1/content",
        "/v1/events",
        "/v1/",
        "/v1",
        "/v1//communities",
        "/v2/communities",
        # Under a service's prefix but served by no one: no longer sent to members to answer.
        "/v1/communities/c1/whatever",
        "/v1/communities/c1/members/m1/engagements",
        "/v1/communities/c1/eventsx",
        "/v1/communities/",
        "/v1/activities/batch",
        "/v1/content/k1/boom",
        "/v1/users",
    ],
)
async def test_unknown_paths_are_404_problems(gateway: httpx.AsyncClient, path: str) -> None:
    response = await gateway.get(path, headers=bearer())
    assert_problem(response, 404)


@pytest.mark.parametrize(
    "raw_path",
    ["/v1/communities/../activities", "/v1/communities/%2e%2e/activities", "/v1/content/./k1"],
)
async def test_dot_segments_are_refused_rather_than_rerouted(
    upstream_urls: dict[str, str], raw_path: str
) -> None:
    # HTTP clients normalise such paths before sending; a raw ASGI call shows what a client
    # that does not can make the gateway see.
    app = create_app(gateway_settings(upstream_urls))
    async with running_service(app):
        status, body = await raw_asgi_get(app, raw_path, headers=bearer())
    assert status == 400
    assert body["status"] == 400
    assert "segments" in body["detail"]


async def raw_asgi_get(
    app: Any, raw_path: str, *, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("test", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_route_a_service_serves_is_routed_to_it(service: Component) -> None:
    settings = service.load_settings_class()(environment="test")
    document = service.load_app_factory()(settings).openapi()
    templates = [path for path in document["paths"] if path.startswith("/v1/")]
    assert templates, f"{service.name} serves no /v1 route"
    for template in templates:
        assert template in PATHS[service.name], f"{template} is missing from gateway.proxy.routing"
        assert upstream_for(filled(template)) == service.name, template


def test_every_route_the_gateway_serves_itself_is_in_its_table() -> None:
    own = [
        f"/v1{route.path}"
        for router in (partners_router, webhooks_router)
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    assert set(own) == set(LOCAL_PATHS)
    for template in own:
        # Served here, and by no service: a service's path of the same shape would be shadowed.
        assert is_local(filled(template)), template
        assert upstream_for(filled(template)) is None, template


def test_the_table_names_exactly_the_registered_services() -> None:
    assert list(PATHS) == [service.name for service in SERVICES]
    assert list(GatewaySettings(environment="test").upstream_urls()) == list(PATHS)


def test_no_path_is_claimed_by_two_services() -> None:
    claimed = [(service, template) for service, paths in PATHS.items() for template in paths]
    for index, (service, template) in enumerate(claimed):
        for other_service, other in claimed[index + 1 :]:
            if service != other_service:
                assert not overlap(template, other), (template, other)
    assert upstream_for("/v1/communities/c1/members/m1/engagement") == "scoring"
    assert upstream_for("/v1/communities/c1/members/m1") == "members"


def test_parameters_match_one_whole_segment_and_dot_segments_are_spotted() -> None:
    assert upstream_for("/v1/content/a%2Fb") == "content"  # the gateway sees it decoded...
    assert upstream_for("/v1/content/a/b") is None  # ...so a slash inside is no longer one id
    assert upstream_for("/v1/activities\n") is None
    assert has_dot_segment("/v1/a/../b")
    assert not has_dot_segment("/v1/a/..b/c.d")


def filled(template: str) -> str:
    return re.sub(r"\{[^/]+\}", "x1", template)


def overlap(template: str, other: str) -> bool:
    """Whether some path matches both: segment by segment, equal literals or a parameter."""
    mine, theirs = template.split("/"), other.split("/")
    return len(mine) == len(theirs) and all(
        a == b or a.startswith("{") or b.startswith("{") for a, b in zip(mine, theirs, strict=True)
    )


def test_upstream_urls_keep_the_path_as_sent_and_encode_what_would_change_it() -> None:
    proxy = UpstreamProxy(
        client=httpx.AsyncClient(),
        upstreams={"members": "http://members:8001"},
        signer=ActorSigner("unused-in-this-test"),
    )
    assert proxy.url("members", b"/v1/communities/a%2Fb", b"x=%20&y=1") == (
        "http://members:8001/v1/communities/a%2Fb?x=%20&y=1"
    )
    assert proxy.url("members", "/v1/communities/读".encode(), "q=书".encode()) == (
        "http://members:8001/v1/communities/%E8%AF%BB?q=%E4%B9%A6"
    )
    assert (
        proxy.url("members", b"/v1/communities/a#b") == "http://members:8001/v1/communities/a%23b"
    )
