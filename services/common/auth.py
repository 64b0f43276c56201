"""Who is calling, as the gateway established it.

The gateway authenticates people (JWT) and partners (API keys), strips any client-sent
`X-Actor-*` headers, and forwards the verified identity in them together with
`X-Actor-Assertion: <expiry-unix>.<hex HMAC-SHA256>` over the expiry and those headers, keyed
with the secret only the gateway and the services hold (`HUOLI_INTERNAL_SECRET`). A service
believes the headers only when the assertion checks out, so reaching a service's port is not
enough to speak for a user.
"""

import hashlib
import hmac
import time
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from services.common.errors import Unauthenticated

ACTOR_ID_HEADER = "X-Actor-Id"
ACTOR_KIND_HEADER = "X-Actor-Kind"
ACTOR_ROLES_HEADER = "X-Actor-Roles"
ACTOR_ASSERTION_HEADER = "X-Actor-Assertion"
# A partner's API key may be limited to some communities: their ids, comma-joined, or
# ALL_COMMUNITIES. Absent for people, whose communities come from their memberships.
ACTOR_COMMUNITIES_HEADER = "X-Actor-Communities"
ALL_COMMUNITIES = "*"

ActorKind = Literal["user", "api_key"]
# An expiry is a unix time in seconds and the MAC 64 hex digits: anything longer is not ours.
_MAX_ASSERTION_LENGTH = 16 + 1 + 64


class Actor(BaseModel):
    """Who is calling. A partner (`kind="api_key"`) belongs to no community: it acts in the
    communities its key is limited to (`partner_communities`; None means all of them), with
    the scopes the gateway already checked route by route."""

    id: str
    kind: ActorKind = "user"
    roles: frozenset[str] = frozenset()
    partner_communities: frozenset[str] | None = None

    @property
    def is_platform_admin(self) -> bool:
        return "platform_admin" in self.roles

    @property
    def is_partner(self) -> bool:
        return self.kind == "api_key"

    def may_administer(self, community_id: str) -> bool:
        """Whether the caller acts in this community without belonging to it: a platform
        admin anywhere, a partner in the communities its key is limited to."""
        if self.is_platform_admin:
            return True
        if not self.is_partner:
            return False
        return self.partner_communities is None or community_id in self.partner_communities


def actor_assertion(
    secret: str, *, actor_id: str, kind: str, roles: str, expires_at: int, communities: str = ""
) -> str:
    """The assertion the gateway attaches to these identity headers, valid until `expires_at`."""
    # Header values never hold a newline, so it separates the fields unambiguously. The
    # communities field is appended only when present, so a person's assertion reads as before.
    message = f"{expires_at}\n{actor_id}\n{kind}\n{roles}"
    if communities:
        message += f"\n{communities}"
    mac = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"{expires_at}.{mac}"


def signed_actor_headers(
    secret: str,
    *,
    actor_id: str,
    kind: ActorKind = "user",
    roles: Iterable[str] = (),
    communities: Iterable[str] | None = None,
    lifetime_seconds: int = 60,
) -> dict[str, str]:
    """The identity headers as the gateway sends them, signed for `lifetime_seconds`.

    `communities` is for partners only: the ids their key is limited to, or None for all.
    """
    joined_roles = ",".join(roles)
    joined_communities = ""
    if kind == "api_key":
        joined_communities = ALL_COMMUNITIES if communities is None else ",".join(communities)
    assertion = actor_assertion(
        secret,
        actor_id=actor_id,
        kind=kind,
        roles=joined_roles,
        communities=joined_communities,
        expires_at=int(time.time()) + lifetime_seconds,
    )
    headers = {
        ACTOR_ID_HEADER: actor_id,
        ACTOR_KIND_HEADER: kind,
        ACTOR_ROLES_HEADER: joined_roles,
        ACTOR_ASSERTION_HEADER: assertion,
    }
    if joined_communities:
        headers[ACTOR_COMMUNITIES_HEADER] = joined_communities
    return headers


class ActorVerifier:
    """Checks the gateway's assertion and turns the identity headers into an `Actor`.

    The gateway reuses one assertion per identity for a few seconds, so what passed is
    remembered (keyed by every header it covers) until it expires: a repeat costs a dict lookup.
    """

    def __init__(self, secret: str, *, cache_size: int = 4096) -> None:
        self._secret = secret
        self._cache_size = cache_size
        self._verified: dict[tuple[str, str, str, str, str], tuple[Actor, int]] = {}

    def actor(
        self,
        *,
        actor_id: str | None,
        kind: str | None,
        roles: str | None,
        assertion: str | None,
        communities: str | None = None,
    ) -> Actor:
        """The caller the headers name; Unauthenticated unless the gateway vouched for them."""
        if not actor_id or not assertion:
            raise Unauthenticated("This call needs an authenticated caller, through the gateway.")
        key = (assertion, actor_id, kind or "", roles or "", communities or "")
        now = time.time()
        remembered = self._verified.get(key)
        if remembered is not None and now < remembered[1]:
            return remembered[0]
        expires_at = self._verify(key)
        if now >= expires_at:
            raise Unauthenticated("The gateway's identity assertion has expired.")
        is_partner = kind == "api_key"
        limited_to: frozenset[str] | None = None
        if is_partner and communities != ALL_COMMUNITIES:
            # A partner's assertion always names its communities; none named means none.
            limited_to = frozenset(cid for cid in (communities or "").split(",") if cid)
        actor = Actor(
            id=actor_id,
            kind="api_key" if is_partner else "user",
            roles=frozenset(role for role in (roles or "").split(",") if role),
            partner_communities=limited_to,
        )
        self._remember(key, actor, expires_at)
        return actor

    def _verify(self, key: tuple[str, str, str, str, str]) -> int:
        assertion, actor_id, kind, roles, communities = key
        expiry, _, _mac = assertion.partition(".")
        if len(assertion) > _MAX_ASSERTION_LENGTH or not expiry.isdigit() or not expiry.isascii():
            raise Unauthenticated("The identity assertion is malformed.")
        expected = actor_assertion(
            self._secret,
            actor_id=actor_id,
            kind=kind,
            roles=roles,
            communities=communities,
            expires_at=int(expiry),
        )
        if not hmac.compare_digest(expected.encode(), assertion.encode()):
            raise Unauthenticated(
                "The identity assertion does not match; call through the gateway."
            )
        return int(expiry)

    def _remember(self, key: tuple[str, str, str, str, str], actor: Actor, expires_at: int) -> None:
        if self._cache_size <= 0:
            return
        if len(self._verified) >= self._cache_size:
            # Oldest first: dicts keep insertion order, which is close enough to LRU here.
            del self._verified[next(iter(self._verified))]
        self._verified[key] = (actor, expires_at)
