"""Who is calling: the gateway verifies the caller's bearer JWT and turns it into the X-Actor-*
headers the services trust (services.common.auth), signed with the internal secret."""

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import jwt

from gateway.identity.jwks import JwksKeys
from services.common.auth import ActorKind, signed_actor_headers
from services.common.errors import Unauthenticated

ALGORITHM = "HS256"
PRODUCTION_ALGORITHM = "RS256"
# The subject and the roles travel on in HTTP headers, roles comma-joined: only bounded,
# printable ASCII is let through, and a role cannot contain the separator.
_ACCEPTABLE_SUBJECT = re.compile(r"^[\x21-\x7e]{1,128}$")
_ACCEPTABLE_ROLE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_ROLES = 32
# NumericDate claims (RFC 7519 §2) are read as seconds from 1970 to the end of year 9999: past
# that no clock or datetime can hold them, and float() of a wider integer overflows.
_LATEST_NUMERIC_DATE = 253_402_300_799
_TIME_CLAIMS = ("exp", "iat", "nbf")


def acceptable_subject(subject: object) -> TypeGuard[str]:
    """Whether a user id can travel on in X-Actor-Id: 1-128 printable ASCII characters."""
    return isinstance(subject, str) and _ACCEPTABLE_SUBJECT.match(subject) is not None


def acceptable_role(role: object) -> TypeGuard[str]:
    """Whether a role name can travel on, comma-joined, in X-Actor-Roles."""
    return isinstance(role, str) and _ACCEPTABLE_ROLE.match(role) is not None


class InvalidCredentials(Unauthenticated):
    """401 with the RFC 6750 challenge telling the client which scheme to use."""

    def __init__(self, detail: str, *, error: str | None = "invalid_token") -> None:
        challenge = f'Bearer error="{error}"' if error else "Bearer"
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


@dataclass(frozen=True)
class Identity:
    """A verified caller: a person (from a JWT) or a partner (from an API key, `kind="api_key"`,
    with the key's scopes and the communities it is limited to, None meaning all)."""

    subject: str
    roles: tuple[str, ...] = ()
    kind: ActorKind = "user"
    scopes: frozenset[str] = frozenset()
    communities: frozenset[str] | None = None

    @property
    def principal(self) -> str:
        """Whose rate limit and idempotency keys these are."""
        return f"{self.kind}:{self.subject}"

    @property
    def is_partner(self) -> bool:
        return self.kind == "api_key"

    @property
    def is_platform_admin(self) -> bool:
        return "platform_admin" in self.roles

    def covers(self, community_id: str) -> bool:
        """Whether a partner's key reaches this community."""
        return self.communities is None or community_id in self.communities

    def actor_headers(self, secret: str, *, lifetime_seconds: int) -> list[tuple[bytes, bytes]]:
        """The X-Actor-* headers naming this identity, with the assertion that proves them."""
        headers = signed_actor_headers(
            secret,
            actor_id=self.subject,
            kind=self.kind,
            roles=self.roles,
            communities=sorted(self.communities) if self.communities is not None else None,
            lifetime_seconds=lifetime_seconds,
        )
        return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


class ActorSigner:
    """Signs the identity forwarded to the services, one assertion per identity reused for
    `reuse_seconds`: signing costs a few microseconds, reusing a dict lookup.

    An assertion lives `lifetime_seconds`, so a service still accepts the last reused one for
    at least the difference (which also absorbs clock skew between hosts).
    """

    def __init__(
        self,
        secret: str,
        *,
        lifetime_seconds: int = 30,
        reuse_seconds: float = 10.0,
        cache_size: int = 4096,
    ) -> None:
        self._secret = secret
        self._lifetime = lifetime_seconds
        self._reuse = reuse_seconds
        self._cache_size = cache_size
        self._signed: dict[Identity, tuple[list[tuple[bytes, bytes]], float]] = {}

    def headers(self, identity: Identity) -> list[tuple[bytes, bytes]]:
        """Raw headers (lower-case names) naming `identity`, signed."""
        now = time.monotonic()
        remembered = self._signed.get(identity)
        if remembered is not None and now < remembered[1]:
            return remembered[0]
        headers = identity.actor_headers(self._secret, lifetime_seconds=self._lifetime)
        if self._cache_size > 0:
            if len(self._signed) >= self._cache_size:
                del self._signed[next(iter(self._signed))]
            self._signed[identity] = (headers, now + self._reuse)
        return headers


class UnknownSigningKey(InvalidCredentials):
    """An RS256 token names a key id the JWKS did not (yet) hold."""


class TokenVerifier:
    """Verifies bearer tokens: HS256 signed with the shared secret (development, tests, and
    whoever holds it), and, with a JWKS, RS256 signed by the identity provider's keys.

    A client sends the same token on every call until it expires, and verifying it costs as
    much as the rest of the gateway's own work on a request; so tokens that passed are
    remembered, up to `cache_size` of them, until their `exp` (plus the leeway).
    """

    def __init__(
        self,
        *,
        secret: str,
        audience: str | None = None,
        issuer: str | None = None,
        leeway: float = 30.0,
        cache_size: int = 4096,
        jwks: JwksKeys | None = None,
    ) -> None:
        self._secret = secret
        self._audience = audience
        self._issuer = issuer
        self._jwks = jwks
        self._leeway = leeway
        self._cache_size = cache_size
        self._verified: dict[str, tuple[Identity, float]] = {}

    def identify(self, headers: Mapping[str, str]) -> Identity:
        """The caller named by the request's Authorization header; InvalidCredentials if none."""
        authorization = headers.get("authorization")
        if not authorization:
            raise InvalidCredentials(
                "This call needs an 'Authorization: Bearer <token>' header.", error=None
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidCredentials(
                "The Authorization header must use the Bearer scheme.", error="invalid_request"
            )
        remembered = self._verified.get(token)
        if remembered is not None:
            identity, valid_until = remembered
            if time.time() < valid_until:
                return identity
            del self._verified[token]
        claims = self._decode(token)
        expires_at = _checked_times(claims)
        identity = _identity(claims)
        self._remember(token, identity, expires_at + self._leeway)
        return identity

    def _remember(self, token: str, identity: Identity, valid_until: float) -> None:
        if self._cache_size <= 0:
            return
        if len(self._verified) >= self._cache_size:
            # Oldest first: dicts keep insertion order, which is close enough to LRU here.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (identity, valid_until)

    def _signing_key(self, token: str) -> tuple[Any, str]:
        """The key and the one algorithm this token may be verified with, by its header: an
        RS256 token only with a published RSA key, anything else only as HS256 with the secret
        (so a public key can never be used as an HMAC secret)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidCredentials("The token is invalid.") from exc
        if header.get("alg") == PRODUCTION_ALGORITHM and self._jwks is not None:
            key_id = header.get("kid")
            key = self._jwks.key(key_id if isinstance(key_id, str) else None)
            if key is None:
                raise UnknownSigningKey("The token is signed with an unknown key.")
            return key, PRODUCTION_ALGORITHM
        return self._secret, ALGORITHM

    def _decode(self, token: str) -> dict[str, Any]:
        key, algorithm = self._signing_key(token)
        required = ["exp", "sub", *(["iss"] if self._issuer is not None else [])]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={
                    "require": required,
                    "verify_aud": self._audience is not None,
                },
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidCredentials("The token has expired; get a new one.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidCredentials(f"The token lacks the required claim {exc.claim!r}.") from exc
        except jwt.InvalidTokenError as exc:
            # Signature, algorithm, format and audience failures all read the same to the
            # caller; telling them apart would help whoever forges tokens.
            raise InvalidCredentials("The token is invalid.") from exc
        return claims


def _checked_times(claims: Mapping[str, Any]) -> float:
    """The token's expiry, once every time claim it has is a plausible number of seconds.

    PyJWT compares these claims after int(), which also takes a numeric string or a float
    beyond any date; such a token is refused here rather than trusted or failing later.
    """
    for name in _TIME_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        # `not (0 <= value <= …)` also refuses NaN, which compares false with everything.
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= value <= _LATEST_NUMERIC_DATE
        ):
            raise InvalidCredentials(f"The token's {name!r} claim is not a valid time.")
    return float(claims["exp"])


def _identity(claims: Mapping[str, Any]) -> Identity:
    subject = claims.get("sub")
    if not acceptable_subject(subject):
        raise InvalidCredentials("The token's 'sub' claim is not an acceptable user id.")
    roles = claims.get("roles", [])
    if (
        not isinstance(roles, list)
        or len(roles) > MAX_ROLES
        or not all(acceptable_role(role) for role in roles)
    ):
        raise InvalidCredentials("The token's 'roles' claim must be a list of role names.")
    return Identity(subject=subject, roles=tuple(dict.fromkeys(roles)))
