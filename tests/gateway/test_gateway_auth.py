"""Bearer JWTs: who may pass, and the identity the services receive."""

import asyncio
import base64
import json
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from gateway.identity.auth import ActorSigner, Identity, InvalidCredentials, TokenVerifier
from gateway.identity.tokens import issue_token
from services.common.auth import ActorVerifier
from services.common.settings import DEVELOPMENT_INTERNAL_SECRET
from tests.gateway.fakes import SECRET, bearer, echoed_headers
from tests.support import assert_problem


def signed(claims: dict[str, Any], *, secret: str = SECRET, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():
        # HS512 with our 44-byte test secret is short by RFC 7518; the gateway refuses it anyway.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm=algorithm)


def unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def in_an_hour() -> int:
    return int(time.time()) + 3600


# Time claims a correctly signed token may carry that name no usable time: each is a 401 (the
# first was a 500, float() overflowing). A numeric string is refused although PyJWT takes it.
BAD_TIMES: list[tuple[str, str, Any]] = [
    (claim, label, value)
    for claim in ("exp", "iat", "nbf")
    for label, value in [
        ("of 2**1100", 2**1100),
        ("past year 9999", 253_402_300_800),
        ("NaN", float("nan")),
        ("infinite", float("inf")),
        ("negative", -1),
        ("a numeric string", "1700000000"),
        ("true", True),
        ("a list", [1]),
    ]
]


async def test_the_verified_identity_replaces_whatever_the_client_claims(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.post(
        "/v1/communities",
        json={"name": "x"},
        headers={
            **bearer("alice", roles=("platform_admin", "auditor")),
            "X-Actor-Id": "mallory",
            "X-Actor-Kind": "api_key",
            "X-Actor-Roles": "platform_admin,god",
            "X-Forwarded-For": "6.6.6.6",
        },
    )
    assert response.status_code == 200, response.text
    received = echoed_headers(response)
    assert received["x-actor-id"] == ["alice"]
    assert received["x-actor-kind"] == ["user"]
    assert received["x-actor-roles"] == ["platform_admin,auditor"]
    assert "authorization" not in received
    assert received["x-forwarded-for"] == ["127.0.0.1"]
    assert received["x-forwarded-proto"] == ["http"]


async def test_a_header_value_in_utf_8_reaches_the_service_byte_for_byte(
    gateway: httpx.AsyncClient,
) -> None:
    note = "读书会 café".encode()
    response = await gateway.get("/v1/communities", headers={**bearer("alice"), "X-Note": note})
    assert response.status_code == 200, response.text
    # The fake reads header bytes as Latin-1, as Starlette does.
    assert echoed_headers(response)["x-note"] == [note.decode("latin-1")]


async def test_the_forwarded_identity_carries_an_assertion_a_service_accepts(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get(
        "/v1/communities",
        headers={
            **bearer("alice", roles=("auditor",)),
            "X-Actor-Assertion": "9999999999." + "0" * 64,
        },
    )
    received = echoed_headers(response)
    [assertion] = received["x-actor-assertion"]
    assert assertion != "9999999999." + "0" * 64
    # The fakes' gateway runs with the development default, as the services in tests do.
    actor = ActorVerifier(DEVELOPMENT_INTERNAL_SECRET).actor(
        actor_id=received["x-actor-id"][0],
        kind=received["x-actor-kind"][0],
        roles=received["x-actor-roles"][0],
        assertion=assertion,
    )
    assert (actor.id, actor.kind, actor.roles) == ("alice", "user", frozenset({"auditor"}))


def test_the_signer_reuses_an_assertion_per_identity_for_a_while() -> None:
    signer = ActorSigner("a-test-internal-secret-of-32-bytes", reuse_seconds=0.05)
    alice, bob = Identity("alice"), Identity("bob")
    first = signer.headers(alice)
    assert signer.headers(alice) is first
    assert signer.headers(bob) != first
    time.sleep(1.05)  # assertions carry whole seconds: the next one expires later
    assert dict(signer.headers(alice))[b"x-actor-assertion"] != dict(first)[b"x-actor-assertion"]


async def test_a_token_without_roles_forwards_an_empty_role_list(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get(
        "/v1/communities", headers={**bearer("bob"), "x-actor-roles": "platform_admin"}
    )
    received = echoed_headers(response)
    assert received["x-actor-id"] == ["bob"]
    assert received["x-actor-roles"] == [""]


async def test_the_request_id_is_passed_on_and_echoed(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get(
        "/v1/communities/c1", headers={**bearer(), "X-Request-ID": "req-42.abc"}
    )
    assert response.headers["x-request-id"] == "req-42.abc"
    assert echoed_headers(response)["x-request-id"] == ["req-42.abc"]


async def test_a_request_id_is_minted_when_absent_or_unacceptable(
    gateway: httpx.AsyncClient,
) -> None:
    def raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
        return [(key.encode(), value.encode()) for key, value in headers.items()]

    unacceptable = [*raw(bearer()), (b"x-request-id", b"bad id \xe9\n")]
    for headers in (raw(bearer()), unacceptable):
        response = await gateway.get("/v1/communities/c1", headers=headers)
        minted = response.headers["x-request-id"]
        assert len(minted) == 32
        assert echoed_headers(response)["x-request-id"] == [minted]


async def test_a_missing_token_is_401_with_a_bearer_challenge(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/communities", headers={"X-Actor-Id": "alice"})
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization" in body["detail"]
    assert response.headers["x-request-id"]


async def test_an_expired_token_is_401_saying_so(gateway: httpx.AsyncClient) -> None:
    token = signed({"sub": "alice", "exp": int(time.time()) - 120})
    response = await gateway.get("/v1/communities", headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 401)
    assert "expired" in body["detail"]
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_a_token_expired_within_the_leeway_still_passes(gateway: httpx.AsyncClient) -> None:
    token = signed({"sub": "alice", "exp": int(time.time()) - 10})
    response = await gateway.get("/v1/communities", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("case", "authorization"),
    [
        ("forged", f"Bearer {signed({'sub': 'alice', 'exp': in_an_hour()}, secret='x' * 40)}"),
        (
            "wrong secret from the CLI",
            f"Bearer {issue_token('alice', secret='another-secret-of-enough-length-0000')}",
        ),
        ("alg none", f"Bearer {unsigned({'sub': 'alice', 'exp': in_an_hour()})}"),
        (
            "wrong alg",
            f"Bearer {signed({'sub': 'alice', 'exp': in_an_hour()}, algorithm='HS512')}",
        ),
        ("malformed", "Bearer not.a.jwt"),
        ("garbage", "Bearer abc"),
        ("other scheme", f"Basic {base64.b64encode(b'alice:pw').decode()}"),
        ("scheme only", "Bearer"),
        ("no sub", f"Bearer {signed({'exp': in_an_hour()})}"),
        ("no exp", f"Bearer {signed({'sub': 'alice'})}"),
        ("empty sub", f"Bearer {signed({'sub': '', 'exp': in_an_hour()})}"),
        ("sub with spaces", f"Bearer {signed({'sub': 'a b', 'exp': in_an_hour()})}"),
        ("roles not a list", f"Bearer {signed({'sub': 'a', 'exp': in_an_hour(), 'roles': 'x'})}"),
        ("roles not strings", f"Bearer {signed({'sub': 'a', 'exp': in_an_hour(), 'roles': [1]})}"),
        (
            "role with a comma",
            f"Bearer {signed({'sub': 'a', 'exp': in_an_hour(), 'roles': ['a,platform_admin']})}",
        ),
        *(
            (
                f"{claim} {label}",
                f"Bearer {signed({'sub': 'a', 'exp': in_an_hour(), claim: value})}",
            )
            for claim, label, value in BAD_TIMES
        ),
    ],
    # Named by case alone: a token's `exp` follows the clock, and pytest-xdist workers must
    # collect the same test ids.
    ids=lambda value: "credentials" if value.startswith(("Bearer", "Basic")) else None,
)
async def test_bad_credentials_are_401_problems(
    gateway: httpx.AsyncClient, case: str, authorization: str
) -> None:
    response = await gateway.post(
        "/v1/communities", json={"name": case}, headers={"Authorization": authorization}
    )
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_time_claims_may_be_fractional_seconds() -> None:
    now = time.time()
    token = signed({"sub": "alice", "exp": now + 60.5, "iat": now - 0.25, "nbf": now - 0.5})
    identity = TokenVerifier(secret=SECRET).identify({"authorization": f"Bearer {token}"})
    assert identity.subject == "alice"


async def test_auth_comes_before_routing(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/no-such-thing")
    assert_problem(response, 401)


async def test_probes_and_docs_need_no_token(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/healthz")).status_code == 200
    assert (await gateway.get("/readyz")).status_code == 200
    assert (await gateway.get("/openapi.json")).status_code == 200
    assert (await gateway.get("/docs")).status_code == 200


async def test_an_audience_is_required_when_configured(start_gateway: Any) -> None:
    async with start_gateway(jwt_audience="huoli") as client:
        right = issue_token("alice", secret=SECRET, audience="huoli")
        wrong = issue_token("alice", secret=SECRET, audience="elsewhere")
        none = issue_token("alice", secret=SECRET)
        ok = await client.get("/v1/communities", headers={"Authorization": f"Bearer {right}"})
        assert ok.status_code == 200, ok.text
        for token in (wrong, none):
            refused = await client.get(
                "/v1/communities", headers={"Authorization": f"Bearer {token}"}
            )
            assert_problem(refused, 401)


@pytest.fixture(params=["aiohttp", "httpx"])
async def gateway_by_hostname(
    request: pytest.FixtureRequest, start_gateway: Any, upstream_urls: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    # aiohttp's jar ignores cookies from IP addresses; deployments use host names.
    by_name = {name: url.replace("127.0.0.1", "localhost") for name, url in upstream_urls.items()}
    async with start_gateway(urls=by_name, http_transport=request.param) as client:
        yield client


async def test_cookies_set_by_a_service_are_not_replayed_for_other_callers(
    gateway_by_hostname: httpx.AsyncClient,
) -> None:
    # The gateway's one client is shared by every caller: it must keep no cookie jar.
    gateway = gateway_by_hostname
    first = await gateway.get("/v1/communities/c1", headers=bearer("alice"))
    assert first.headers.get_list("set-cookie")
    gateway.cookies.clear()  # the test's own client keeps a jar; the next caller has none
    second = await gateway.get("/v1/communities/c1", headers=bearer("mallory"))
    assert "cookie" not in echoed_headers(second)
    gateway.cookies.clear()
    third = await gateway.get("/v1/communities/c1", headers={**bearer("bob"), "Cookie": "mine=1"})
    assert echoed_headers(third)["cookie"] == ["mine=1"]


def test_remembered_tokens_are_bounded_and_keep_their_own_identity() -> None:
    verifier = TokenVerifier(secret=SECRET, cache_size=2)
    tokens = {sub: signed({"sub": sub, "exp": in_an_hour()}) for sub in ("a", "b", "c", "d")}
    for _ in range(2):
        for sub, token in tokens.items():
            assert verifier.identify({"authorization": f"Bearer {token}"}).subject == sub


async def test_a_remembered_token_is_refused_once_expired_even_from_memory() -> None:
    verifier = TokenVerifier(secret=SECRET, leeway=0)
    expires = int(time.time()) + 1
    headers = {"authorization": f"Bearer {signed({'sub': 'alice', 'exp': expires})}"}
    assert verifier.identify(headers).subject == "alice"
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(InvalidCredentials, match="expired"):
        verifier.identify(headers)
