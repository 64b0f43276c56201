"""Production tokens: RS256 verified with keys from a JWKS URL, fetched at start-up and again
when a token names a key not seen yet (rarely), beside HS256."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from jwt.algorithms import RSAAlgorithm

from tests.gateway.conftest import GatewayFactory
from tests.gateway.fakes import bearer, echoed_headers, serving
from tests.support import assert_problem, eventually


@dataclass
class IdentityProvider:
    """Publishes its public keys at /jwks.json and signs tokens with the private ones."""

    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    published: set[str] = field(default_factory=set)
    fetches: int = 0
    url: str = ""

    def new_key(self, *, publish: bool = True) -> str:
        key_id = uuid.uuid4().hex[:8]
        self.keys[key_id] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            self.published.add(key_id)
        return key_id

    def jwks(self) -> dict[str, Any]:
        self.fetches += 1
        entries = []
        for key_id in sorted(self.published):
            jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.keys[key_id].public_key(), as_dict=True)
            entries.append({**jwk, "kid": key_id, "use": "sig", "alg": "RS256"})
        return {"keys": entries}

    def token(self, key_id: str, sub: str = "alice", **claims: Any) -> dict[str, str]:
        payload = {"sub": sub, "exp": int(time.time()) + 300, **claims}
        token = jwt.encode(payload, self.keys[key_id], algorithm="RS256", headers={"kid": key_id})
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def provider() -> AsyncIterator[IdentityProvider]:
    idp = IdentityProvider()
    idp.new_key()
    app = FastAPI()
    app.add_api_route("/jwks.json", idp.jwks, methods=["GET"])
    async with serving(app) as url:
        idp.url = f"{url}/jwks.json"
        yield idp


async def test_rs256_tokens_are_verified_with_the_published_keys(
    start_gateway: GatewayFactory, provider: IdentityProvider
) -> None:
    [key_id] = provider.published
    async with start_gateway(jwt_jwks_url=provider.url) as client:
        response = await client.get("/v1/communities", headers=provider.token(key_id, "bob"))
        assert response.status_code == 200, response.text
        assert echoed_headers(response)["x-actor-id"] == ["bob"]
        # HS256 with the shared secret goes on working beside it.
        assert (await client.get("/v1/communities", headers=bearer())).status_code == 200


async def test_a_rotated_in_key_is_fetched_when_a_token_names_it(
    start_gateway: GatewayFactory, provider: IdentityProvider
) -> None:
    async with start_gateway(jwt_jwks_url=provider.url, jwt_jwks_min_refresh_seconds=0.2) as client:

        async def fetched_at_start() -> None:
            assert provider.fetches >= 1

        await eventually(fetched_at_start)
        rotated_in = provider.new_key()

        async def accepted() -> None:
            response = await client.get("/v1/communities", headers=provider.token(rotated_in))
            assert response.status_code == 200, response.text

        # Accepted once the keys were fetched again (not more often than every 0.2 s here).
        await eventually(accepted, timeout=5)


async def test_unknown_keys_are_refused_and_do_not_flood_the_provider(
    start_gateway: GatewayFactory, provider: IdentityProvider
) -> None:
    [published] = provider.published
    unpublished = provider.new_key(publish=False)
    async with start_gateway(jwt_jwks_url=provider.url, jwt_jwks_min_refresh_seconds=60) as client:

        async def fetched_at_start() -> None:
            assert provider.fetches >= 1

        await eventually(fetched_at_start)
        before = provider.fetches
        for _ in range(5):
            refused = await client.get("/v1/communities", headers=provider.token(unpublished))
            assert_problem(refused, 401)
        assert provider.fetches <= before + 1
        # A published key id on a token signed with another key: the signature fails.
        forged = provider.token(unpublished)["Authorization"].split(" ")[1]
        swapped = jwt.encode(
            jwt.decode(forged, options={"verify_signature": False}),
            provider.keys[unpublished],
            algorithm="RS256",
            headers={"kid": published},
        )
        assert_problem(
            await client.get("/v1/communities", headers={"Authorization": f"Bearer {swapped}"}),
            401,
        )


async def test_no_algorithm_confusion(
    start_gateway: GatewayFactory, provider: IdentityProvider
) -> None:
    [key_id] = provider.published
    public_pem = (
        provider.keys[key_id]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    claims = {"sub": "mallory", "exp": int(time.time()) + 300}
    # HS256 "signed" with the public key, which anyone can read.
    segments = [
        base64.urlsafe_b64encode(part).rstrip(b"=")
        for part in (b'{"alg":"HS256","typ":"JWT","kid":"' + key_id.encode() + b'"}',)
    ]
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    signing_input = segments[0] + b"." + payload
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    confused = signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    async with start_gateway(jwt_jwks_url=provider.url) as client:
        for token in (confused.decode(), unsigned):
            refused = await client.get(
                "/v1/communities", headers={"Authorization": f"Bearer {token}"}
            )
            assert_problem(refused, 401)
